/**
 * The reconciliation read from its event witness kept per snapshot gives the verdict it gives
 * from every lead's events: for the active set and a what-if set, while events keep arriving
 * after the kept position (leads of their own, a stray hand-off that must fail the check, one
 * more event of a lead already kept, which must not count it twice), beside a build killed
 * before its marker, and after a rebuild. chDB, one database per test.
 */
import type { ClickHouseClient } from '@clickhouse/client';
import type { FunnelDefinition } from '@tandem/domain';
import { analyticsTables } from '../../clickhouse/analytics.database';
import { AnalyticsQueries } from '../analytics.queries';
import { resetAnalytics } from '../../projection/lead-events.writer';
import { newRuleSet, writeRuleSet, type RuleSet } from '../../rules/rule-sets';
import { useEmbeddedAnalytics } from '../../testing/embedded-analytics.fixture';
import {
  countQueries,
  countRows,
  lowerMqlThreshold,
  startProjection,
  whileBuildsSuspended,
} from '../../testing/kept-tables.fixture';
import { funnelScenario } from '../../testing/funnel-scenario.fixture';
import { createEventLog, leadEvent as e } from '../../testing/event-log.fixture';
import { failsSettled, reconcileAll, type FullReconciliation } from './rule-set-reconciliation';

jest.setTimeout(600_000);

const analytics = useEmbeddedAnalytics('lead-event-audits-int');
let client: ClickHouseClient;
beforeAll(() => {
  client = analytics.client();
});

/** A what-if set with a lower MQL threshold: other MQL flags, so other audit groups. */
const whatIf: FunnelDefinition = lowerMqlThreshold;

/** The funnel scenario in two halves: the kept build is taken between them. */
function scenario() {
  const envelopes = funnelScenario().envelopes;
  const half = Math.floor(envelopes.length / 2);
  return { early: envelopes.slice(0, half), rest: envelopes.slice(half) };
}

const verdict = (queries: AnalyticsQueries, database: string): Promise<FullReconciliation> =>
  reconcileAll(client, queries, { database, attempts: 1 });

/** The statements a call sends (views read on the read client) that read the kept event witness. */
const keptReads = (work: () => Promise<unknown>) =>
  countQueries(analytics.reader(), work, (sql) => sql.includes('{audit_build:UInt64}'));

/** Of those, the ones that also recompute leads from their events (the changed leads' rows). */
const recomputing = (work: () => Promise<unknown>) =>
  countQueries(
    analytics.reader(),
    work,
    (sql) => sql.includes('{audit_build:UInt64}') && sql.includes('lead_event_summary FINAL'),
  );

const project = (database: string) => startProjection(client, database);

const count = (database: string, table: string) => countRows(client, database, table);

/** Takes a snapshot of each set and keeps the event witness at its position. */
async function keep(queries: AnalyticsQueries, sets: readonly RuleSet[]): Promise<void> {
  for (const rules of sets) {
    expect(await queries.takeSnapshot(rules)).not.toBeNull();
    expect(await queries.takeEventAudit(rules)).not.toBeNull();
  }
}

const stagesOf = (reconciliation: FullReconciliation, version: number) =>
  reconciliation.ruleSets.find((set) => set.rulesVersion === version)?.stages;

it('gives the verdict every lead gives, as events arrive after the kept position', async () => {
  const database = await analytics.freshDatabase();
  const state = new AnalyticsQueries(client, { reader: analytics.reader(), database });
  const kept = new AnalyticsQueries(client, {
    reader: analytics.reader(),
    database,
    snapshots: true,
  });
  const shadow = newRuleSet(whatIf, 'shadow', 'ready');
  await writeRuleSet(client, shadow, { database });
  const { early, rest } = scenario();
  const projection = await project(database);
  await projection.project(early, { atHead: true });
  const active = await state.ruleSet();
  await keep(kept, [active, shadow]);

  // One audit per set (the lead audit, the stage counts and the event totals): two kept reads,
  // the kept counts alone while no lead changed since.
  expect(await keptReads(() => verdict(kept, database))).toBe(2);
  expect(await recomputing(() => verdict(kept, database))).toBe(0);
  expect(JSON.stringify(await verdict(kept, database))).toBe(
    JSON.stringify(await verdict(state, database)),
  );

  // The second half: new leads, and later events of leads the build already holds.
  await projection.project(rest, { atHead: true });
  const after = await verdict(state, database);
  expect(after.ok).toBe(true);
  expect(stagesOf(after, 1)?.find((stage) => stage.stage === 'captured')?.events).toBe(11);
  expect(await keptReads(() => verdict(kept, database))).toBe(2);
  expect(await recomputing(() => verdict(kept, database))).toBe(2);
  expect(JSON.stringify(await verdict(kept, database))).toBe(JSON.stringify(after));

  // One more touch of a kept lead: taken out of the kept rows and put back, never twice.
  const more = createEventLog({ firstPosition: 1000 });
  more.lead('L1', e.touchpoint('tp-late', 'webinar'));
  await projection.project(more.envelopes, { atHead: true });
  const touched = await verdict(kept, database);
  expect(stagesOf(touched, 1)?.find((stage) => stage.stage === 'captured')).toEqual({
    stage: 'captured',
    view: 11,
    events: 11,
  });
  expect(JSON.stringify(touched)).toBe(JSON.stringify(await verdict(state, database)));

  // A hand-off of a lead never qualified, past the kept position: the check fails on it.
  const stray = createEventLog({ firstPosition: 2000 });
  stray.lead('L3', e.handed('carol'));
  await projection.project(stray.envelopes, { atHead: true });
  const failed = await verdict(kept, database);
  expect(failed.ok).toBe(false);
  expect(failed.findings).toContainEqual(
    expect.stringMatching(/^rules version 1 .*: 1 leads reached handed_to_sales without mql/),
  );
  expect(failed.checks.find((check) => check.metric === 'handed_to_sales')?.events).toBe('8');
  expect(JSON.stringify(failed)).toBe(JSON.stringify(await verdict(state, database)));
  await kept.close();
});

it('keeps the lead audit exact when a batch lands between the changed leads and the audit', async () => {
  const database = await analytics.freshDatabase();
  const state = new AnalyticsQueries(client, { reader: analytics.reader(), database });
  const kept = new AnalyticsQueries(client, {
    reader: analytics.reader(),
    database,
    snapshots: true,
  });
  const { early, rest } = scenario();
  const projection = await project(database);
  await projection.project(early, { atHead: true });
  await keep(kept, [await state.ruleSet()]);
  const before = await verdict(kept, database);
  expect(before.ok).toBe(true);

  // Right after the check reads which leads changed since the build (none), a batch lands: new
  // leads, one more touch of a kept lead, a stray hand-off of a kept lead never qualified.
  const stray = createEventLog({ firstPosition: 3000 });
  stray.lead('L1', e.touchpoint('tp-race', 'webinar'));
  stray.lead('L3', e.handed('carol'));
  const landing = [...rest, ...stray.envelopes];
  const reader = analytics.reader();
  const query = reader.query.bind(reader);
  let landed = false;
  const spy = jest.spyOn(reader, 'query').mockImplementation(async (params) => {
    const result = await query(params);
    // The changed leads, read from the events' side (leadsChangedSince over the summary).
    if (!landed && params.query_params?.table === analyticsTables.leadEventSummary) {
      landed = true;
      await projection.project(landing, { atHead: true });
    }
    return result;
  });
  let raced: FullReconciliation;
  try {
    raced = await verdict(kept, database);
  } finally {
    spy.mockRestore();
  }
  expect(landed).toBe(true);
  // The lead audit is cut at the checkpoint read before the batch: the batch's leads are not in
  // it, and the kept rows stand for the others as they were. Only totals lag (the stage counts
  // from the kept rows, the views' from the state), and the verdict says it is not settled.
  expect(raced.coveredPosition).toBe(before.coveredPosition);
  expect(raced.settled).toBe(false);
  expect(raced.ruleSets.map((set) => set.requirements)).toEqual(
    before.ruleSets.map((set) => set.requirements),
  );
  expect(failsSettled(raced)).toBe(false);
  // The next check sees the batch: the stray hand-off fails it, as every lead's verdict does.
  const next = await verdict(kept, database);
  expect(next.findings).toContainEqual(
    expect.stringMatching(/^rules version 1 .*: 1 leads reached handed_to_sales without mql/),
  );
  expect(JSON.stringify(next)).toBe(JSON.stringify(await verdict(state, database)));
  await kept.close();
});

it('never reads rows kept past the position a lead audit is cut at', async () => {
  const database = await analytics.freshDatabase();
  const kept = new AnalyticsQueries(client, {
    reader: analytics.reader(),
    database,
    snapshots: true,
  });
  const projection = await project(database);
  await projection.project(funnelScenario().envelopes, { atHead: true });
  const active = await kept.ruleSet();
  await keep(kept, [active]);
  expect(await keptReads(() => kept.ruleSetLeadAudit(active, '1'))).toBe(0);
  expect(await keptReads(() => kept.ruleSetLeadAudit(active, '18446744073709551615'))).toBe(1);
  await kept.close();
});

it('never reads a build killed before its marker, and is rebuilt with the snapshots', async () => {
  const database = await analytics.freshDatabase();
  const state = new AnalyticsQueries(client, { reader: analytics.reader(), database });
  const kept = new AnalyticsQueries(client, {
    reader: analytics.reader(),
    database,
    snapshots: true,
  });
  const { early, rest } = scenario();
  const projection = await project(database);
  await projection.project([...early, ...rest], { atHead: true });
  const active = await state.ruleSet();
  await keep(kept, [active]);
  const expected = JSON.stringify(await verdict(state, database));
  expect(JSON.stringify(await verdict(kept, database))).toBe(expected);

  // Rows of a build killed before its marker, of the same snapshot, with a lower build id than
  // the marked one: nobody reads them.
  await client.command({
    query: `
      INSERT INTO {db:Identifier}.lead_event_audits
      SELECT snapshot_id, 0 AS build_id, kind, lead_id, 'missing', in_cohort, recorded_for_set,
             sales_sourced, captured, mql, handed_to_sales, accepted, rejected, sql, opportunity,
             won, lost, leads * 7, won_revenue
      FROM {db:Identifier}.lead_event_audits`,
    query_params: { db: database },
  });
  expect(await keptReads(() => verdict(kept, database))).toBe(1);
  expect(JSON.stringify(await verdict(kept, database))).toBe(expected);

  // A rebuild empties the kept witness with the snapshots; projected again, it agrees again.
  await whileBuildsSuspended(kept, () => resetAnalytics(client, { database }));
  expect(await count(database, 'lead_event_audits')).toBe(0);
  expect(await count(database, 'lead_event_audit_markers')).toBe(0);
  const again = await project(database);
  await again.project([...early, ...rest], { atHead: true });
  await keep(kept, [active]);
  expect(await keptReads(() => verdict(kept, database))).toBe(1);
  expect(JSON.stringify(await verdict(kept, database))).toBe(
    JSON.stringify(await verdict(state, database)),
  );
  await kept.close();
});
