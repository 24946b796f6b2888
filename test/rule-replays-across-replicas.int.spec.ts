/**
 * Several API replicas on one ClickHouse server, at start after a deploy that changed the rules
 * pass: each replica lists the kept sets whose rows other code computed and re-derives them, and
 * another replica may already hold a set's replay lease. This replica must wait for it — not
 * give up and stay not ready until restarted — and then find the set current (the other replica
 * finished it: nothing is replayed here) or take it over once the other's heartbeat is older
 * than the lease (resuming from its checkpoint).
 *
 * The lease is only checked with a ClickHouse server, and chDB is embedded: the replica under
 * test is a RuleReplays built over a real API's chDB handle, event store and definitions with a
 * config that says 'server' (a short lease). The other replica is its rule_sets rows: a
 * 'building' set it owns, with a heartbeat this spec keeps fresh while "it is alive".
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Logger } from '@nestjs/common';
import type { TandemConfig } from '@tandem/config';
import { ActiveDefinition } from '../apps/funnel-api/src/definitions/active-definition.service';
import { ReadinessProbe } from '../apps/funnel-api/src/observability/readiness';
import type { AnalyticsHandle } from '../apps/funnel-api/src/platform/analytics.provider';
import { ANALYTICS } from '../apps/funnel-api/src/platform/tokens';
import { RuleReplays } from '../apps/funnel-api/src/rules/rule-replays.service';
import { analyticsTables } from '../libs/analytics/src/clickhouse/analytics.database';
import { ruleFactsVersion } from '../libs/analytics/src/rules/rule-facts-version';
import {
  readRuleSet,
  ruleSetKey,
  writeRuleSet,
  type RuleSet,
  type RuleSetKey,
} from '../libs/analytics/src/rules/rule-sets';
import request from 'supertest';
import type { App } from 'supertest/types';
import { asRole } from './support/auth-headers';
import { eventually } from './support/eventually';
import {
  type FunnelApiFixture,
  startFunnelApi,
  waitForProjection,
} from './support/funnel-api.fixture';
import { appendScoredLeads, scoredLeads } from './support/scored-leads';
import { stricterDefinition } from './support/stricter-definitions';

jest.setTimeout(300_000);

const PREVIOUS_BUILD = '0-previousbuild';
const OTHER_REPLICA = 'another-replica';
const LEASE_SECONDS = 3;

const stricter = stricterDefinition(2, 12);
/** A what-if (kept as a shadow): a lower threshold. */
const draft = stricterDefinition(3, -15);

let dir: string;
let api: FunnelApiFixture;
let analytics: AnalyticsHandle;
let replica: RuleReplays | null = null;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'tandem-replays-replicas-'));
  api = await startFunnelApi(join(dir, 'chdb'), { replayBatchLeads: 5 });
  analytics = api.app.get<AnalyticsHandle>(ANALYTICS);
});
afterAll(async () => {
  await replica?.onModuleDestroy();
  await api?.close();
  await rm(dir, { recursive: true, force: true });
});

const stored = async (key: RuleSetKey): Promise<RuleSet> => {
  const set = await readRuleSet(analytics.client, key, { database: analytics.database });
  if (set === null) throw new Error(`rule set ${key.rulesVersion} is not kept`);
  return set;
};
const save = (set: RuleSet) =>
  writeRuleSet(analytics.client, set, { database: analytics.database });

/** The set's lead_rule_facts rows, as the views read them. */
async function facts(key: RuleSetKey): Promise<unknown[]> {
  const result = await analytics.client.query({
    query: `
      SELECT lead_id, mql, mql_at, fit_score, intent_score, score, event_count
      FROM {db:Identifier}.{facts:Identifier} FINAL
      WHERE rules_version = {version:UInt32} AND definition_hash = {hash:String}
      ORDER BY lead_id`,
    query_params: {
      db: analytics.database,
      facts: analyticsTables.leadRuleFacts,
      version: key.rulesVersion,
      hash: key.definitionHash,
    },
    format: 'JSONEachRow',
  });
  return result.json();
}

/** The other replica, alive: writes its sets' heartbeats until stopped. */
function heartbeats(sets: () => RuleSet[]): { stop(): Promise<void> } {
  let alive = true;
  const beating = (async () => {
    while (alive) {
      for (const set of sets()) await save({ ...set, heartbeatAt: new Date().toISOString() });
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  })();
  return {
    stop: async () => {
      alive = false;
      await beating;
    },
  };
}

it('waits for another replica holding a set, then finds it current or takes it over, and becomes ready', async () => {
  // Version 1 (active), version 2 published and replayed, a what-if draft: three kept sets.
  await appendScoredLeads(api.store, scoredLeads(60, 29, Date.UTC(2025, 4, 5)));
  const http = api.app.getHttpServer() as App;
  await waitForProjection(http);
  await request(http).post('/definitions').set(asRole('ops')).send(stricter).expect(201);
  const definitions = api.app.get(ActiveDefinition);
  const own = api.app.get(RuleReplays);
  for (const [definition, kind] of [
    [stricter, 'published'],
    [draft, 'shadow'],
  ] as const) {
    const started = await own.start(definition, kind);
    expect((await own.settled(started.id)).status).toBe('done');
  }
  const v2 = ruleSetKey(stricter);
  const v3 = ruleSetKey(draft);
  const v2Facts = await facts(v2);
  const v3Facts = await facts(v3);
  expect(v3Facts).toHaveLength(60);

  // A deploy: versions 2 and 3 were computed by the previous build's code.
  for (const key of [v2, v3]) await save({ ...(await stored(key)), factsVersion: PREVIOUS_BUILD });
  const v3Checkpoint = (v3Facts[19] as { lead_id: string }).lead_id;
  // What that code computed for version 3 past the checkpoint the other replica will reach
  // (a later insert of the same last_position replaces the row): the takeover must redo them.
  await analytics.client.command({
    query: `
      INSERT INTO {db:Identifier}.{facts:Identifier}
      SELECT rules_version, definition_hash, lead_id, false, NULL, fit_score, intent_score,
             score - 10, event_count, last_position
      FROM {db:Identifier}.{facts:Identifier} FINAL
      WHERE rules_version = 3 AND lead_id > {after:String}`,
    query_params: {
      db: analytics.database,
      facts: analyticsTables.leadRuleFacts,
      after: v3Checkpoint,
    },
  });
  expect(await facts(v3)).not.toEqual(v3Facts);

  // This replica starts (a server's lease check, a short lease) and lists them.
  const config: TandemConfig = {
    ...api.config,
    clickhouse: {
      mode: 'server',
      url: 'http://clickhouse.invalid:8123',
      database: analytics.database,
    },
    replay: { batchLeads: 5, leaseSeconds: LEASE_SECONDS },
  };
  replica = new RuleReplays(analytics, api.store, config, definitions);
  const readiness = new ReadinessProbe(api.store, analytics, replica);
  await replica.onModuleInit();
  expect(replica.outdatedFacts().map((set) => set.rulesVersion)).toEqual([2, 3]);

  // Meanwhile the other replica (this build) started re-deriving both: version 2 from its first
  // lead, version 3 is past a third of its leads (its checkpoint).
  const held = {
    v2: {
      ...(await stored(v2)),
      status: 'building' as const,
      checkpointLeadId: '',
      eventsDone: 0,
      owner: OTHER_REPLICA,
      factsVersion: ruleFactsVersion(),
    },
    v3: {
      ...(await stored(v3)),
      status: 'building' as const,
      checkpointLeadId: v3Checkpoint,
      eventsDone: 20,
      owner: OTHER_REPLICA,
      factsVersion: ruleFactsVersion(),
    },
  };
  let alive = [held.v2, held.v3];
  const other = heartbeats(() => alive);
  await eventually(
    async () => ((await stored(v3)).owner === OTHER_REPLICA ? true : undefined),
    'the other replica holds both sets',
  );

  const logged = jest.spyOn(Logger.prototype, 'log');
  /** Resolves once this replica logged that it waits for the other one's `version`. */
  const waitsFor = (version: number) =>
    eventually(() => {
      const waiting = new RegExp(
        `^rules version ${version} .* is being replayed by ${OTHER_REPLICA} .*: waiting`,
      );
      const said = logged.mock.calls.some(
        ([message]) => typeof message === 'string' && waiting.test(message),
      );
      return Promise.resolve(said ? true : undefined);
    }, `this replica waits for the other one's version ${version}`);
  try {
    replica.onApplicationBootstrap();
    // It waits for version 2's holder, not ready meanwhile, and replays nothing of it.
    await waitsFor(2);
    expect((await readiness.check()).failed).toContain('ruleFacts');
    expect(replica.outdatedFacts().map((set) => set.rulesVersion)).toEqual([2, 3]);
    expect(replica.runningFor(v2)).toBeNull();

    // The other replica finishes version 2 (and keeps version 3 alive a while longer).
    alive = [held.v3];
    await save({
      ...held.v2,
      status: 'ready',
      eventsDone: held.v2.eventsTotal,
      heartbeatAt: new Date().toISOString(),
    });
    await eventually(
      () =>
        Promise.resolve(
          replica!.outdatedFacts().every((set) => set.rulesVersion !== 2) ? true : undefined,
        ),
      'version 2 is found current',
    );
    // Found current, not replayed here: the row is still the other replica's.
    expect((await stored(v2)).owner).toBe(OTHER_REPLICA);

    // Then the other replica dies: its heartbeat ages past the lease and this one takes over
    // version 3, resuming from the other's checkpoint.
    await waitsFor(3);
    await other.stop();
    await eventually(
      async () => ((await readiness.check()).failed.includes('ruleFacts') ? undefined : true),
      'this replica becomes ready',
      120_000,
    );
  } finally {
    await other.stop();
    logged.mockRestore();
  }
  expect(replica.outdatedFacts()).toEqual([]);
  const v3Job = replica.list().find((job) => job.rulesVersion === 3);
  expect(v3Job).toMatchObject({ status: 'done', resumed: true });
  const taken = await stored(v3);
  expect(taken).toMatchObject({ status: 'ready', factsVersion: ruleFactsVersion() });
  expect(taken.owner).not.toBe(OTHER_REPLICA);
  // Every kept set's rows are this code's, and what they were before the deploy.
  for (const key of [ruleSetKey((await definitions.active()).definition), v2, v3]) {
    expect(await stored(key)).toMatchObject({ status: 'ready', factsVersion: ruleFactsVersion() });
  }
  expect(await facts(v2)).toEqual(v2Facts);
  expect(await facts(v3)).toEqual(v3Facts);
});
