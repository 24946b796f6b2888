/**
 * LogProjection: behind the head it writes events and defers the rules; at the head, or after
 * a restart that finds them behind, it brings them level. Either way the rule-derived rows end
 * equal to projecting every batch with its rules, and a checkpoint never claims rows that are
 * not written.
 */
import type { ClickHouseClient } from '@clickhouse/client';
import { AnalyticsQueries } from '../views/analytics.queries';
import { projectBatch } from './lead-events.writer';
import { LogProjection } from './log-projection';
import { readProjectionCheckpoints } from './projection-checkpoints';
import { StepCancelledError } from './step-outcome';
import { reconcileAll } from '../views/reconciliation/rule-set-reconciliation';
import { useEmbeddedAnalytics } from '../testing/embedded-analytics.fixture';
import { funnelScenario } from '../testing/funnel-scenario.fixture';
import { batches } from '../testing/event-log.fixture';

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
