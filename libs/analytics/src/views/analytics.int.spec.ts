/**
 * libs/analytics on a real engine (chDB through @clickhouse/client): migrations, projection,
 * the views, reconciliation, and exactly-once numbers under redelivery.
 *
 * libchdb binds one data directory per process, and jest may run several test files in one
 * worker: this file opens ONE path for the process, gives every test its own database, and
 * closes (draining chDB) in afterAll so a later file may open another path.
 */
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ClickHouseClient } from '@clickhouse/client';
import { AnalyticsQueries } from './analytics.queries';
import { analystViews } from '../clickhouse/analyst-views';
import { migrate, MigrationError } from '../clickhouse/analytics.migrations';
import {
  closeAnalyticsClient,
  createAnalyticsClient,
  EmbeddedPathInUseError,
} from '../clickhouse/clickhouse.client';
import type { AnyEnvelope } from '../projection/lead-event.row';
import { projectBatch, resetAnalytics } from '../projection/lead-events.writer';
import { projectionPosition } from '../projection/projection-checkpoints';
import { resolveSqlDirectory } from '../clickhouse/sql-directory';
import { createEventLog, leadEvent } from '../testing/event-log.fixture';
import { registerRuleSet } from '../testing/rule-sets.fixture';
import {
  expectedFunnel,
  expectedMarketingLens,
  expectedReconciliation,
  expectedSalesLens,
  funnelScenario,
  scenarioLeadEventCount,
} from '../testing/funnel-scenario.fixture';

let dataDir: string;
let client: ClickHouseClient;
/** What views read on: embedded, a second connection binding in the process (as the API's). */
let reader: ClickHouseClient;
let databases = 0;

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'tandem-analytics-int-'));
  client = await createAnalyticsClient({ mode: 'embedded', path: dataDir });
  reader = await createAnalyticsClient({ mode: 'embedded', path: dataDir, binding: 'in-process' });
});

afterAll(async () => {
  await closeAnalyticsClient(reader);
  await closeAnalyticsClient(client);
  await rm(dataDir, { recursive: true, force: true });
});

/** A fresh, migrated database for one test: tests share the engine, never tables. */
async function freshDatabase(): Promise<string> {
  databases += 1;
  const database = `analytics_int_${process.pid}_${databases}`;
  await migrate(client, { database });
  await registerRuleSet(client, database);
  return database;
}

/** Polls until `accept` holds or the deadline passes; returns the last value read. */
async function eventually<T>(
  read: () => Promise<T>,
  accept: (value: T) => boolean,
  timeoutMs = 10_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (accept(value) || Date.now() > deadline) return value;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

const lastPosition = (envelopes: readonly AnyEnvelope[]): string =>
  envelopes.at(-1)!.globalPosition;

/** Projects and waits until the projection has caught up with the batch. */
async function project(database: string, envelopes: readonly AnyEnvelope[]): Promise<void> {
  await projectBatch(client, envelopes, { database });
  const target = BigInt(lastPosition(envelopes));
  await eventually(
    () => projectionPosition(client, { database }),
    (position) => position !== null && BigInt(position) >= target,
  );
}

/** Everything the read side returns, serialised: the byte-for-byte determinism witness. */
async function snapshot(queries: AnalyticsQueries): Promise<string> {
  return JSON.stringify({
    funnel: await queries.sharedFunnel(),
    marketing: await queries.marketingLens(),
    sales: await queries.salesLens(),
    events: await queries.eventTotals(),
    reconcile: await queries.reconcile(),
  });
}

const chunks = <T>(items: readonly T[], size: number): T[][] =>
  Array.from({ length: Math.ceil(items.length / size) }, (_, i) =>
    items.slice(i * size, (i + 1) * size),
  );

describe('createAnalyticsClient (embedded)', () => {
  it('refuses a second data directory in this process, shares the open one', async () => {
    await expect(
      createAnalyticsClient({ mode: 'embedded', path: `${dataDir}-other` }),
    ).rejects.toThrow(EmbeddedPathInUseError);

    const second = await createAnalyticsClient({ mode: 'embedded', path: dataDir });
    const database = await freshDatabase();
    await projectBatch(second, funnelScenario().envelopes, { database });
    await closeAnalyticsClient(second);

    // Closing one client leaves the engine to the other.
    expect(await projectionPosition(client, { database })).toBe(
      lastPosition(funnelScenario().envelopes),
    );
  });
});

/**
 * The same specs run on every ClickHouse the product supports: embedded chDB always, and a
 * ClickHouse server when TANDEM_TEST_CLICKHOUSE_URL is set (the int global setup sets it by
 * starting clickhouse/clickhouse-server with testcontainers where a Docker engine exists).
 */
interface Leg {
  readonly name: string;
  readonly open: () => Promise<ClickHouseClient | null>;
}
const serverUrl = process.env.TANDEM_TEST_CLICKHOUSE_URL?.trim() ?? '';
const legs: Leg[] = [{ name: 'chDB (embedded)', open: async () => null }];
if (serverUrl === '') {
  console.warn(
    'ClickHouse server leg skipped: TANDEM_TEST_CLICKHOUSE_URL is not set and no Docker engine was reachable for testcontainers',
  );
} else {
  legs.push({
    name: 'ClickHouse server',
    open: () =>
      createAnalyticsClient({
        mode: 'server',
        url: serverUrl,
        username: process.env.TANDEM_TEST_CLICKHOUSE_USER ?? 'default',
        password: process.env.TANDEM_TEST_CLICKHOUSE_PASSWORD ?? '',
      }),
  });
}

describe.each(legs)('on $name', (leg) => {
  let embedded: { client: ClickHouseClient; reader: ClickHouseClient } | null = null;
  beforeAll(async () => {
    const opened = await leg.open();
    if (opened) {
      embedded = { client, reader };
      client = opened;
      reader = opened;
    }
  });
  afterAll(async () => {
    if (embedded) {
      await closeAnalyticsClient(client);
      ({ client, reader } = embedded);
    }
  });

  describe('migrate', () => {
    it('applies every migration once and is safe to re-run', async () => {
      const database = `analytics_int_${process.pid}_migrate`;
      const first = await migrate(client, { database });
      const second = await migrate(client, { database });

      expect(first.applied).toEqual([
        '0001_create_lead_events.sql',
        '0002_create_projection_checkpoint.sql',
        '0003_create_lead_facts.sql',
        '0004_create_campaign_spend.sql',
        '0005_create_targets.sql',
        '0006_create_rule_sets.sql',
        '0007_create_lead_rule_facts.sql',
        '0008_create_active_rules.sql',
        '0009_create_lead_state.sql',
        '0010_create_lead_state_mv.sql',
        '0011_backfill_lead_state.sql',
        '0012_create_event_log_staging.sql',
        '0013_add_lead_state_sales_sourced_at.sql',
        '0014_create_lead_state_path_mv.sql',
        '0015_drop_touchpoint_content.sql',
        '0016_create_projection_dead_letters.sql',
        '0017_drop_lead_facts.sql',
        '0018_create_visitor_touches.sql',
        '0019_create_lead_funnel_snapshots.sql',
        '0020_create_lead_funnel_snapshot_markers.sql',
        '0025_create_lead_event_summary.sql',
        '0026_create_lead_event_summary_mv.sql',
        '0027_backfill_lead_event_summary.sql',
        '0028_create_lead_funnel_rollups.sql',
        '0029_create_lead_funnel_rollup_markers.sql',
        '0030_create_lead_attribution_credits.sql',
        '0031_create_lead_attribution_credit_markers.sql',
        '0032_create_lead_event_audits.sql',
        '0033_create_lead_event_audit_markers.sql',
        '0034_create_event_log_staging_b.sql',
        '0035_drop_capture_utm_content.sql',
        '0036_drop_lead_state_utm_content.sql',
        '0037_drop_snapshot_utm_content.sql',
        '0038_add_snapshot_marker_fingerprint.sql',
        '0039_add_rule_set_facts_version.sql',
        '0040_create_rule_facts_processes.sql',
      ]);
      expect(second).toEqual({
        database,
        applied: [],
        alreadyApplied: first.applied,
        views: first.views,
      });
      const tables = await client.query({
        query: 'SELECT name FROM system.tables WHERE database = {db:String} ORDER BY name',
        query_params: { db: database },
        format: 'JSONEachRow',
      });
      expect(await tables.json()).toEqual(
        [
          'active_rules',
          'campaign_spend',
          'event_log_staging',
          'event_log_staging_b',
          'lead_attribution_credit_markers',
          'lead_attribution_credits',
          'lead_event_audit_markers',
          'lead_event_audits',
          'lead_event_summary',
          'lead_event_summary_mv',
          'lead_events',
          'lead_funnel_rollup_markers',
          'lead_funnel_rollups',
          'lead_funnel_snapshot_markers',
          'lead_funnel_snapshots',
          'lead_rule_facts',
          'lead_state',
          'lead_state_mv',
          'lead_state_path_mv',
          'projection_checkpoint',
          'projection_dead_letters',
          'rule_facts_processes',
          'rule_sets',
          'schema_migrations',
          'targets',
          'visitor_touches',
          ...Object.keys(analystViews),
        ]
          .sort()
          .map((name) => ({ name })),
      );
      expect(first.views).toEqual(Object.keys(analystViews));
    });

    it('refuses to run when an applied migration file was edited', async () => {
      const database = await freshDatabase();
      const sqlDir = await mkdtemp(join(tmpdir(), 'tandem-analytics-sql-'));
      try {
        await cp(resolveSqlDirectory(), sqlDir, { recursive: true });
        const edited = join(sqlDir, 'migrations', '0002_create_projection_checkpoint.sql');
        await writeFile(edited, `${await readFile(edited, 'utf8')}\n-- edited\n`);

        await expect(migrate(client, { database, sqlDir })).rejects.toThrow(MigrationError);
      } finally {
        await rm(sqlDir, { recursive: true, force: true });
      }
    });
  });

  describe('the funnel scenario', () => {
    it('projects lead events and planning facts and reports the position', async () => {
      const database = await freshDatabase();
      const { envelopes } = funnelScenario();

      const outcome = await projectBatch(client, envelopes, { database });

      expect(outcome).toEqual({
        leadIds: [...new Set(envelopes.flatMap((e) => (e.leadId === null ? [] : [e.leadId])))],
        projected: scenarioLeadEventCount,
        planning: 2,
        // One rule-derived row per lead of the batch under the one kept set.
        ruleFacts: new Set(envelopes.flatMap((e) => (e.leadId === null ? [] : [e.leadId]))).size,
        skipped: 0,
        invalid: [],
        position: lastPosition(envelopes),
      });
      expect(await projectionPosition(client, { database })).toBe(lastPosition(envelopes));
    });

    it('shows the shared funnel, both lenses and a reconciliation that agrees', async () => {
      const database = await freshDatabase();
      await project(database, funnelScenario().envelopes);
      const queries = new AnalyticsQueries(client, { reader, database });

      expect(await queries.sharedFunnel()).toEqual(expectedFunnel);
      expect(await queries.marketingLens()).toEqual(expectedMarketingLens);
      expect(await queries.salesLens()).toEqual(expectedSalesLens);
      expect(await queries.reconcile()).toEqual(expectedReconciliation);
    });

    it('folds each lead into one row: latest owner, recycles, open deals, erasure, merge', async () => {
      const database = `analytics_int_${process.pid}_fold`;
      await migrate(client, { database });
      const rules = await registerRuleSet(client, database);
      await project(database, funnelScenario().envelopes);

      // The per-lead fold as analysts read it: the lead_funnel view under one rule set. A
      // parameterised view's name and arguments are literals (ClickHouse binds no {param}
      // there); the database, a number and a hex hash are the test's own.
      expect(rules.definitionHash).toMatch(/^[0-9a-f]{16}$/);
      const result = await client.query({
        query: `SELECT lead_id, owner, recycled_count, opportunity_id, toString(won_amount) AS won,
                       opportunity_open, erased, merged_into
                FROM \`${database}\`.lead_funnel(rules_version = ${rules.rulesVersion},
                     definition_hash = '${rules.definitionHash}', as_of = '2299-12-31 23:59:59.999')
                WHERE lead_id IN ('L5', 'L7', 'L8', 'L10', 'L11')
                ORDER BY lead_id`,
        format: 'JSONEachRow',
      });
      expect(await result.json()).toEqual([
        {
          lead_id: 'L10',
          owner: 'alice',
          recycled_count: 1,
          opportunity_id: 'o10b',
          won: '2500',
          opportunity_open: false,
          erased: false,
          merged_into: '',
        },
        {
          lead_id: 'L11',
          owner: '',
          recycled_count: 0,
          opportunity_id: '',
          won: '0',
          opportunity_open: false,
          erased: false,
          merged_into: 'L3',
        },
        {
          lead_id: 'L5',
          owner: 'bob',
          recycled_count: 0,
          opportunity_id: 'o5',
          won: '0',
          opportunity_open: true,
          erased: false,
          merged_into: '',
        },
        {
          lead_id: 'L7',
          owner: 'bob',
          recycled_count: 1,
          opportunity_id: 'o7',
          won: '3000.5',
          opportunity_open: false,
          erased: false,
          merged_into: '',
        },
        {
          lead_id: 'L8',
          owner: '',
          recycled_count: 0,
          opportunity_id: '',
          won: '0',
          opportunity_open: false,
          erased: true,
          merged_into: '',
        },
      ]);
    });

    it('keeps no PII in lead_events', async () => {
      const database = await freshDatabase();
      await project(database, funnelScenario().envelopes);

      const result = await client.query({
        query: `SELECT count() AS leaks FROM {db:Identifier}.lead_events FINAL
                WHERE positionCaseInsensitive(data, 'ada') > 0
                   OR position(data, '@') > 0
                   OR position(data, '7946') > 0`,
        query_params: { db: database },
        format: 'JSONEachRow',
      });
      expect(await result.json()).toEqual([{ leaks: 0 }]);
    });
  });

  describe('exactly-once numbers', () => {
    it('gives identical output when the same batch is delivered twice', async () => {
      const database = await freshDatabase();
      // No background merge may collapse the duplicates early: the reads must cope with them.
      await client.command({
        query: 'SYSTEM STOP MERGES {db:Identifier}.lead_events',
        query_params: { db: database },
      });
      const { envelopes } = funnelScenario();
      const queries = new AnalyticsQueries(client, { reader, database });
      await project(database, envelopes);
      const once = await snapshot(queries);

      await project(database, envelopes);

      const stored = await client.query({
        query: `SELECT (SELECT count() FROM {db:Identifier}.lead_events) AS rows,
                       (SELECT count() FROM {db:Identifier}.lead_events FINAL) AS events`,
        query_params: { db: database },
        format: 'JSONEachRow',
      });
      expect(await stored.json()).toEqual([
        { rows: 2 * scenarioLeadEventCount, events: scenarioLeadEventCount },
      ]);
      expect(await snapshot(queries)).toBe(once);
      expect(await queries.reconcile()).toEqual(expectedReconciliation);
    });

    it('gives identical output for overlapping, reordered and redelivered batches', async () => {
      const inOrder = await freshDatabase();
      const chaotic = await freshDatabase();
      const { envelopes } = funnelScenario();
      await project(inOrder, envelopes);

      // Overlapping windows of 20 every 7 events, newest batch first, then everything again.
      const windows = Array.from({ length: Math.ceil(envelopes.length / 7) }, (_, i) =>
        envelopes.slice(i * 7, i * 7 + 20),
      ).reverse();
      for (const batch of windows) await projectBatch(client, batch, { database: chaotic });
      for (const batch of chunks(envelopes, 9)) await project(chaotic, batch);

      expect(await snapshot(new AnalyticsQueries(client, { reader, database: chaotic }))).toBe(
        await snapshot(new AnalyticsQueries(client, { reader, database: inOrder })),
      );
    });

    it('rebuilds to the same numbers after a reset', async () => {
      const database = await freshDatabase();
      const { envelopes } = funnelScenario();
      const queries = new AnalyticsQueries(client, { reader, database });
      await project(database, envelopes);
      const before = await snapshot(queries);

      await resetAnalytics(client, { database });
      expect(await projectionPosition(client, { database })).toBeNull();
      expect((await queries.sharedFunnel()).map((row) => row.leads)).toEqual(
        expectedFunnel.map(() => 0),
      );

      await project(database, envelopes);
      expect(await snapshot(queries)).toBe(before);
    });
  });

  describe('reconciliation finds disagreements', () => {
    it('reports a lead accepted without a hand-off: marketing sees it, sales cannot', async () => {
      const database = await freshDatabase();
      const log = funnelScenario();
      log.lead('L12', leadEvent.captured('webinar', 'launch'));
      log.lead('L12', leadEvent.accepted('carol'));
      await project(database, log.envelopes);

      const reconciliation = await new AnalyticsQueries(client, { reader, database }).reconcile();

      expect(reconciliation.ok).toBe(false);
      expect(reconciliation.checks.filter((check) => !check.ok)).toEqual([
        { metric: 'accepted', marketing: '7', sales: '6', events: '7', ok: false },
      ]);
    });

    it('reports events of a lead whose capture never arrived: only the events witness sees it', async () => {
      const database = await freshDatabase();
      const log = funnelScenario();
      log.lead('L13', leadEvent.handed('bob'));
      log.lead('L13', leadEvent.rejected('bob', 'no_budget'));
      await project(database, log.envelopes);

      const reconciliation = await new AnalyticsQueries(client, { reader, database }).reconcile();

      expect(reconciliation.ok).toBe(false);
      expect(reconciliation.checks.filter((check) => !check.ok)).toEqual([
        { metric: 'handed_to_sales', marketing: '7', sales: '7', events: '8', ok: false },
        { metric: 'rejected', marketing: '2', sales: '2', events: '3', ok: false },
      ]);
    });

    it('reports a second DealWon for a lead: the fold keeps the latest amount, the events add both', async () => {
      const database = await freshDatabase();
      const log = funnelScenario();
      log.lead('L1', leadEvent.won('o1', 500, 'EUR'));
      await project(database, log.envelopes);

      const reconciliation = await new AnalyticsQueries(client, { reader, database }).reconcile();

      expect(reconciliation.checks.filter((check) => !check.ok)).toEqual([
        {
          metric: 'won_revenue:EUR',
          marketing: '3000',
          sales: '3000',
          events: '15000',
          ok: false,
        },
      ]);
    });
  });

  describe('capture window', () => {
    it('restricts every report to leads captured inside [capturedFrom, capturedTo)', async () => {
      const database = await freshDatabase();
      const log = createEventLog();
      const first = log.lead('A', leadEvent.captured('organic', null));
      log.lead('A', leadEvent.mql());
      const second = log.lead('B', leadEvent.captured('organic', null));
      await project(database, log.envelopes);
      const queries = new AnalyticsQueries(client, { reader, database });

      const onlyA = await queries.marketingLens({
        capturedFrom: first.occurredAt,
        capturedTo: second.occurredAt,
      });

      expect(onlyA.map(({ leads, mqls }) => ({ leads, mqls }))).toEqual([{ leads: 1, mqls: 1 }]);
    });
  });
});
