/**
 * LogProjection: behind the head it writes events and defers the rules; at the head, or after
 * a restart that finds them behind, it brings them level. Either way the rule-derived rows end
 * equal to projecting every batch with its rules, and a checkpoint never claims rows that are
 * not written.
 */
import type { ClickHouseClient } from '@clickhouse/client';
import { defaultFunnelDefinition, type FunnelDefinition } from '@tandem/domain';
import { AnalyticsQueries } from '../views/analytics.queries';
import { projectBatch } from './lead-events.writer';
import { LogProjection } from './log-projection';
import { readProjectionCheckpoints } from './projection-checkpoints';
import { StepCancelledError } from './step-outcome';
import { reconcileAll } from '../views/reconciliation/rule-set-reconciliation';
import { useEmbeddedAnalytics } from '../testing/embedded-analytics.fixture';
import { funnelScenario } from '../testing/funnel-scenario.fixture';
import { batches } from '../testing/event-log.fixture';
import { newRuleSet, ruleSetKey, writeRuleSet } from '../rules/rule-sets';

const analytics = useEmbeddedAnalytics('log-projection-int');
let client: ClickHouseClient;
beforeAll(() => {
  client = analytics.client();
});

async function ruleFacts(database: string): Promise<string> {
  const result = await client.query({
    query: `SELECT * FROM {db:Identifier}.lead_rule_facts FINAL
            ORDER BY rules_version, definition_hash, lead_id`,
    query_params: { db: database },
    format: 'JSONEachRow',
  });
  return result.text();
}

const { envelopes } = funnelScenario();
const last = envelopes.at(-1)!.globalPosition;

async function projectedPerBatch(): Promise<string> {
  const database = await analytics.freshDatabase();
  for (const batch of batches(envelopes, 7)) await projectBatch(client, batch, { database });
  return ruleFacts(database);
}

it('defers the rules behind the head and brings them level at the head', async () => {
  const expected = await projectedPerBatch();
  const database = await analytics.freshDatabase();
  const projection = new LogProjection(client, { database });
  expect(await projection.start()).toBeNull();
  const parts = batches(envelopes, 7);
  for (const batch of parts.slice(0, -1)) {
    await projection.project(batch, { atHead: false });
  }
  expect(projection.rulesBehind).toBe(true);
  expect(await ruleFacts(database)).toBe('');

  await projection.project(parts.at(-1)!, { atHead: true });
  expect(await readProjectionCheckpoints(client, { database })).toEqual({
    events: last,
    rules: last,
  });
  expect(await ruleFacts(database)).toBe(expected);
});

it('after a restart with the rules behind, catches them up from the checkpoints alone', async () => {
  const expected = await projectedPerBatch();
  const database = await analytics.freshDatabase();
  const first = new LogProjection(client, { database });
  await first.start();
  for (const batch of batches(envelopes, 7)) await first.project(batch, { atHead: false });
  // A kill here: events projected, rules never computed.
  expect(await readProjectionCheckpoints(client, { database })).toEqual({
    events: last,
    rules: null,
  });

  // Reconciliation judges rule-derived rows only up to the rules checkpoint: deferred rules
  // are not missing rules.
  const during = await reconcileAll(
    client,
    new AnalyticsQueries(client, { reader: analytics.reader(), database }),
    {
      database,
      attempts: 1,
    },
  );
  expect(during.coveredPosition).toBeNull();
  expect(during.findings.filter((finding) => finding.includes('lead_rule_facts'))).toEqual([]);

  const restarted = new LogProjection(client, { database });
  expect(await restarted.start()).toBe(last);
  expect(restarted.rulesBehind).toBe(true);
  // A rebuild or a shutdown that comes first: no rules written, the checkpoint where it was.
  await expect(restarted.catchUpRules(() => true)).rejects.toBeInstanceOf(StepCancelledError);
  expect(await ruleFacts(database)).toBe('');
  expect(await readProjectionCheckpoints(client, { database })).toEqual({
    events: last,
    rules: null,
  });
  expect(restarted.rulesBehind).toBe(true);
  await restarted.catchUpRules();
  expect(restarted.rulesBehind).toBe(false);
  expect(await ruleFacts(database)).toBe(expected);
});

it('never records a checkpoint for rows a kill interrupted', async () => {
  const database = await analytics.freshDatabase();
  const projection = new LogProjection(client, { database });
  await projection.start();
  const [firstBatch, secondBatch] = batches(envelopes, 30);
  await projection.project(firstBatch!, { atHead: true });
  const after = await readProjectionCheckpoints(client, { database });
  // A kill after the second batch's rows but before its checkpoint: the rows are there,
  // the checkpoint still says the first batch, so a restart projects the second again.
  await projectBatch(client, secondBatch!, { database, ruleFacts: 'deferred' });
  expect(await readProjectionCheckpoints(client, { database })).toEqual(after);
  const restarted = new LogProjection(client, { database });
  expect(await restarted.start()).toBe(firstBatch!.at(-1)!.globalPosition);
});

/**
 * The statements a client runs, by table: the real chDB client, each call recorded on its way.
 * A query names the table its `table` (or `events`) parameter binds.
 */
function recording(inner: ClickHouseClient): { client: ClickHouseClient; statements: string[] } {
  const statements: string[] = [];
  const client = new Proxy(inner, {
    get(target, property, receiver) {
      const value: unknown = Reflect.get(target, property, receiver);
      if (typeof value !== 'function') return value;
      if (property !== 'query' && property !== 'insert' && property !== 'command') {
        return value.bind(target) as unknown;
      }
      return (params: { table?: string; query_params?: Record<string, unknown> }) => {
        const table = params.table ?? params.query_params?.table ?? params.query_params?.events;
        statements.push(`${String(property)} ${String(table).split('.').at(-1)}`);
        return (value as (p: unknown) => unknown).call(target, params);
      };
    },
  });
  return { client, statements };
}

it('at the head, reads the rule sets again only when the registry changed', async () => {
  const database = await analytics.freshDatabase();
  const { client: recorded, statements } = recording(client);
  const projection = new LogProjection(recorded, { database });
  await projection.start();
  const parts = batches(envelopes, 20);
  await projection.project(parts[0]!, { atHead: true });
  expect(statements.filter((statement) => statement === 'query rule_sets')).toHaveLength(1);

  // A batch of lead events with the registry as it was: its rows, their rules (the registry's
  // generation read with the leads' inputs), the checkpoints; no statement of its own for the
  // sets (main read them again here: five statements).
  statements.length = 0;
  await projection.project(parts[2]!, { atHead: true });
  expect(statements).toEqual([
    'insert lead_events',
    'query lead_events',
    'insert lead_rule_facts',
    'insert projection_checkpoint',
  ]);
});

it("at the head, gives a set registered between two batches the second batch's leads", async () => {
  // As a replay does: its set registered (building) before it reads its first lead. A batch
  // written after that must have the set's rows (ADR 0005), though the projector read the sets
  // before.
  const draft: FunnelDefinition = {
    ...defaultFunnelDefinition,
    version: defaultFunnelDefinition.version + 1,
    name: 'registered between batches',
  };
  const database = await analytics.freshDatabase();
  const projection = new LogProjection(client, { database });
  await projection.start();
  const parts = batches(envelopes, 20);
  for (const batch of parts.slice(0, -1)) await projection.project(batch, { atHead: true });
  await writeRuleSet(client, newRuleSet(draft, 'shadow', 'building'), { database });
  const outcome = await projection.project(parts.at(-1)!, { atHead: true });

  const result = await client.query({
    query: `SELECT DISTINCT lead_id FROM {db:Identifier}.lead_rule_facts FINAL
            WHERE definition_hash = {hash:String} ORDER BY lead_id`,
    query_params: { db: database, hash: ruleSetKey(draft).definitionHash },
    format: 'JSONCompactEachRow',
  });
  const leads = (await result.json<[string]>()).map(([lead]) => lead);
  expect(outcome.leadIds.length).toBeGreaterThan(0);
  expect(leads).toEqual([...outcome.leadIds].sort());
});
