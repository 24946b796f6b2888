/**
 * A dictionary version met after lead events that follow it in the log, as the Kafka-fed
 * projector meets it when it starts on a topic with history and takes a lead's partition before
 * the dictionary's: the set must come out as the log's order gives it (ready, every lead's rule
 * row computed), not pending a replay. And a version met after lead events that precede it
 * stays pending, as it does in log order.
 */
import type { ClickHouseClient } from '@clickhouse/client';
import { DEFINITIONS_STREAM, defaultFunnelDefinition } from '@tandem/domain';
import { migrate } from '../clickhouse/analytics.migrations';
import { readRuleSets } from '../rules/rule-sets';
import { useEmbeddedAnalytics } from '../testing/embedded-analytics.fixture';
import { createEventLog } from '../testing/event-log.fixture';
import { funnelScenario } from '../testing/funnel-scenario.fixture';
import type { AnyEnvelope } from './lead-event.row';
import { projectBatch } from './lead-events.writer';

const analytics = useEmbeddedAnalytics('definition-registration-int');

let databases = 0;
async function emptyDatabase(client: ClickHouseClient): Promise<string> {
  databases += 1;
  const database = `definition_registration_${process.pid}_${databases}`;
  await migrate(client, { database });
  return database;
}

/** What the rules say of each lead, under each set (lead_rule_facts as the views read it). */
async function ruleFacts(client: ClickHouseClient, database: string): Promise<unknown[]> {
  const result = await client.query({
    query: `SELECT rules_version, definition_hash, lead_id, mql, mql_at, score, event_count
            FROM {db:Identifier}.lead_rule_facts FINAL
            ORDER BY rules_version, definition_hash, lead_id`,
    query_params: { db: database },
    format: 'JSONEachRow',
  });
  return result.json();
}

/** Version 1 first in the log, then the funnel scenario's leads. */
function dictionaryThenLeads(): { dictionary: AnyEnvelope; leads: AnyEnvelope[] } {
  const log = createEventLog();
  const dictionary = log.planning(DEFINITIONS_STREAM, {
    type: 'FunnelDefinitionPublished',
    data: { version: 1, definition: defaultFunnelDefinition },
  });
  const leads = funnelScenario(log).envelopes.filter((envelope) => envelope !== dictionary);
  return { dictionary, leads };
}

it('registers a version published before every projected lead event as ready, with their rows', async () => {
  const client = analytics.client();
  const { dictionary, leads } = dictionaryThenLeads();
  const half = Math.floor(leads.length / 2);

  const inOrder = await emptyDatabase(client);
  await projectBatch(client, [dictionary, ...leads], { database: inOrder });

  // Two partitions' batches of leads before the dictionary's, then the rest.
  const crossed = await emptyDatabase(client);
  await projectBatch(client, leads.slice(0, half), { database: crossed });
  await projectBatch(client, [dictionary], { database: crossed });
  await projectBatch(client, leads.slice(half), { database: crossed });

  const sets = await readRuleSets(client, { database: crossed });
  expect(sets.map((set) => [set.rulesVersion, set.status])).toEqual([[1, 'ready']]);
  const expected = await ruleFacts(client, inOrder);
  expect(expected.length).toBeGreaterThan(0);
  expect(await ruleFacts(client, crossed)).toEqual(expected);
});

it('registers it with every row after a crash in the middle of writing them, once the batch is redelivered', async () => {
  const client = analytics.client();
  const { dictionary, leads } = dictionaryThenLeads();

  const inOrder = await emptyDatabase(client);
  await projectBatch(client, [dictionary, ...leads], { database: inOrder });

  const crossed = await emptyDatabase(client);
  await projectBatch(client, leads, { database: crossed });
  // The process dies while the registration writes the leads' rule rows: the first such
  // insert fails, as a kill would leave it; the batch is then delivered again.
  const crash = new Error('killed while writing lead_rule_facts');
  const dying = new Proxy(client, {
    get(target, property, receiver) {
      if (property !== 'insert') return Reflect.get(target, property, receiver) as unknown;
      return (params: { table: string }) =>
        params.table.includes('lead_rule_facts')
          ? Promise.reject(crash)
          : target.insert(params as Parameters<ClickHouseClient['insert']>[0]);
    },
  });
  await expect(projectBatch(dying, [dictionary], { database: crossed })).rejects.toBe(crash);
  await projectBatch(client, [dictionary], { database: crossed });

  const sets = await readRuleSets(client, { database: crossed });
  expect(sets.map((set) => [set.rulesVersion, set.status])).toEqual([[1, 'ready']]);
  const expected = await ruleFacts(client, inOrder);
  expect(expected.length).toBeGreaterThan(0);
  expect(await ruleFacts(client, crossed)).toEqual(expected);
});

it('keeps a version pending when a lead event before it in the log is projected', async () => {
  const client = analytics.client();
  const log = funnelScenario(createEventLog());
  const dictionary = log.planning(DEFINITIONS_STREAM, {
    type: 'FunnelDefinitionPublished',
    data: { version: 1, definition: defaultFunnelDefinition },
  });
  const database = await emptyDatabase(client);
  await projectBatch(
    client,
    log.envelopes.filter((envelope) => envelope !== dictionary),
    { database },
  );
  await projectBatch(client, [dictionary], { database });
  const sets = await readRuleSets(client, { database });
  expect(sets.map((set) => [set.rulesVersion, set.status])).toEqual([[1, 'pending']]);
});
