/**
 * The full reconciliation against chDB: a consistent projection of the funnel scenario passes;
 * the same projection damaged the way a crash or a stray event damages it fails, with findings
 * that name the rule set and the numbers.
 */
import type { ClickHouseClient } from '@clickhouse/client';
import { AnalyticsQueries } from '../analytics.queries';
import { LogProjection } from '../../projection/log-projection';
import { projectBatch } from '../../projection/lead-events.writer';
import { createEventLog, leadEvent as e } from '../../testing/event-log.fixture';
import { useEmbeddedAnalytics } from '../../testing/embedded-analytics.fixture';
import { funnelScenario } from '../../testing/funnel-scenario.fixture';
import { readRuleSets } from '../../rules/rule-sets';
import { computeRuleFacts } from '../../rules/rule-facts';
import { readProjectionProgress } from '../../projection/projection-checkpoints';
import { analyticsTables } from '../../clickhouse/analytics.database';
import { reconcileAll } from './rule-set-reconciliation';
import { ReconciliationRepository } from './reconciliation.repository';

const analytics = useEmbeddedAnalytics('rule-set-reconciliation-int');

describe('reconcileAll', () => {
  let client: ClickHouseClient;
  let database: string;
  let queries: AnalyticsQueries;
  let setName: string;

  beforeEach(async () => {
    client = analytics.client();
    database = await analytics.freshDatabase();
    await projectBatch(client, funnelScenario().envelopes, { database });
    queries = new AnalyticsQueries(client, { reader: analytics.reader(), database });
    const [set] = await readRuleSets(client, { database });
    setName = `rules version ${set!.rulesVersion} (sha ${set!.definitionHash})`;
  });

  const check = () => reconcileAll(client, queries, { database, attempts: 1 });

  it('passes on a consistent projection, with every stage counted both ways', async () => {
    const verdict = await check();
    expect(verdict.findings).toEqual([]);
    expect(verdict.ok).toBe(true);
    expect(verdict.settled).toBe(true);
    const [set] = verdict.ruleSets;
    expect(set?.checked).toBe(true);
    expect(set?.stages.map(({ stage, view, events }) => [stage, view, events])).toEqual([
      ['captured', 11, 11],
      ['mql', 8, 8],
      ['handed_to_sales', 7, 7],
      ['accepted', 6, 6],
      ['rejected', 2, 2],
      ['sql', 5, 5],
      ['opportunity', 5, 5],
      ['won', 3, 3],
      ['lost', 2, 2],
    ]);
    expect(set?.requirements[0]).toEqual({
      stage: 'handed_to_sales',
      requires: 'mql',
      reached: 7,
      required: 8,
      violations: 0,
    });
  });

  it('takes a merge of the rule rows for a still projection, and any insert for a moving one', async () => {
    // `settled` compares this before and after a check. lead_rule_facts gets a row per lead and
    // set on every batch the lead is in, and a background merge of a ReplacingMergeTree drops
    // the older ones: when row counts were compared, one fell during a check while nothing was
    // projected, and one of two APIs over the same store answered the reconciliation with
    // "settled": false (crossing-merges spec with view snapshots on).
    const progress = () =>
      readProjectionProgress(client, [analyticsTables.leadEvents, analyticsTables.leadRuleFacts], {
        database,
      });
    const sets = await readRuleSets(client, { database });
    const leads = [
      ...new Set(
        funnelScenario().envelopes.flatMap(({ leadId }) => (leadId === null ? [] : [leadId])),
      ),
    ];
    await computeRuleFacts(client, sets, leads, { database });
    const before = await progress();
    await client.command({
      query: 'OPTIMIZE TABLE {db:Identifier}.{table:Identifier} FINAL',
      query_params: { db: database, table: analyticsTables.leadRuleFacts },
    });
    expect(await progress()).toEqual(before);

    await computeRuleFacts(client, sets, leads.slice(0, 1), { database });
    expect(await progress()).not.toEqual(before);
  });

  it('fails when rule facts a crash never wrote are missing: handed > MQL', async () => {
    // Two handed leads lose their rows, as a batch whose lead_events landed before a kill.
    await client.command({
      query:
        'ALTER TABLE {db:Identifier}.lead_rule_facts DELETE WHERE lead_id IN {leads:Array(String)}',
      query_params: { db: database, leads: ['L1', 'L2'] },
      clickhouse_settings: { mutations_sync: '2' },
    });
    const verdict = await check();
    expect(verdict.ok).toBe(false);
    expect(verdict.settled).toBe(true);
    expect(verdict.findings).toEqual([
      expect.stringMatching(
        new RegExp(
          `^${escape(setName)}: 2 of 11 leads with rule inputs up to position \\d+ have no lead_rule_facts row$`,
        ),
      ),
      `${setName}: 2 of 8 leads qualified live under version 1 are not MQL under the set`,
      `${setName}: handed_to_sales 7 > mql 6`,
    ]);
  });

  it('fails when a lead is handed to sales without being an MQL the transitions require', async () => {
    // L3 was captured and touched, never qualified; the default transitions allow a hand-off
    // only from mql.
    const stray = createEventLog({ firstPosition: 1000 });
    stray.lead('L3', e.handed('carol'));
    await projectBatch(client, stray.envelopes, { database });
    const verdict = await check();
    expect(verdict.ok).toBe(false);
    expect(verdict.findings).toEqual([
      `${setName}: 1 leads reached handed_to_sales without mql (handed_to_sales 8, mql 8)`,
    ]);
  });
});

describe("ReconciliationRepository over the views' own queries (per-lead funnel snapshots)", () => {
  // The API's wiring: the lenses and the views' stage counts are read from the snapshot, the
  // event side is not, so a lead the snapshot predates is still checked against its events.
  it('passes on the snapshot, then fails on stray events projected after it', async () => {
    const client = analytics.client();
    const database = await analytics.freshDatabase();
    const projection = new LogProjection(client, { database });
    await projection.start();
    await projection.project(funnelScenario().envelopes, { atHead: true });
    const queries = new AnalyticsQueries(client, {
      reader: analytics.reader(),
      database,
      snapshots: true,
    });
    try {
      const active = await queries.ruleSet();
      expect(await queries.takeSnapshot(active)).not.toBeNull();
      const repository = new ReconciliationRepository(client, { database }, queries);
      const verdict = await repository.reconcile({ attempts: 1 });
      expect(verdict.findings).toEqual([]);
      expect(verdict.ok).toBe(true);

      // L3 was never qualified; a hand-off arrives after the snapshot.
      const stray = createEventLog({ firstPosition: 1000 });
      stray.lead('L3', e.handed('carol'));
      await projection.project(stray.envelopes, { atHead: true });
      const [set] = await readRuleSets(client, { database });
      const name = `rules version ${set!.rulesVersion} (sha ${set!.definitionHash})`;
      const after = await repository.reconcile({ attempts: 1 });
      expect(after.ok).toBe(false);
      expect(after.findings).toEqual([
        `${name}: 1 leads reached handed_to_sales without mql (handed_to_sales 8, mql 8)`,
      ]);
      // The lenses saw the stray hand-off too (7 before): they agree with the events.
      expect(after.checks.find((check) => check.metric === 'handed_to_sales')).toEqual({
        metric: 'handed_to_sales',
        marketing: '8',
        sales: '8',
        events: '8',
        ok: true,
      });
    } finally {
      await queries.close();
    }
  });
});

const escape = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
