/**
 * A deploy that changes how rule-derived rows are computed (the classifier, the rules pass)
 * re-derives them at start, instead of serving the old code's rows beside the new code's. A real
 * API (PGlite, its embedded projector, chDB, snapshots on at any size) keeps three rule sets
 * (version 1 active, version 2 published and replayed, a what-if draft as a shadow); every view
 * of each is read. Then the API stops and ClickHouse is left as a build with another facts
 * version would have left it: each set's rule_sets row names that version, and its
 * lead_rule_facts rows say what that build computed (half the leads scored 10 lower and no MQL).
 * Its snapshots go too (a snapshot of the old rows carries the old build's fingerprint, which
 * snapshot-fingerprint.unit.spec.ts shows is never read: here the views read the state).
 * Restarted, the API says which sets it re-derives (/health, readiness failing 'ruleFacts')
 * until it has, and then every view under every kept set is byte-identical to the one read
 * before, and to the one a fresh rebuild gives.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { INestApplication } from '@nestjs/common';
import { defaultFunnelDefinition, type FunnelDefinition } from '@tandem/domain';
import request from 'supertest';
import type { App } from 'supertest/types';
import { createFunnelApi } from '../apps/funnel-api/src/funnel-api';
import type { AnalyticsHandle } from '../apps/funnel-api/src/platform/analytics.provider';
import { ANALYTICS } from '../apps/funnel-api/src/platform/tokens';
import { analyticsTables } from '../libs/analytics/src/clickhouse/analytics.database';
import { ruleFactsVersion } from '../libs/analytics/src/rules/rule-facts-version';
import { readRuleSets } from '../libs/analytics/src/rules/rule-sets';
import { asRole } from './support/auth-headers';
import { eventually } from './support/eventually';
import { startFunnelApi, waitForProjection } from './support/funnel-api.fixture';
import { leaveAsPreviousBuild } from './support/previous-build-facts';
import { appendScoredLeads, scoredLeads } from './support/scored-leads';
import { readViews, viewDifferences, type ViewBodies } from './support/view-fingerprint';

jest.setTimeout(600_000);

const PREVIOUS_BUILD = '0-previousbuild';

const stricter: FunnelDefinition = {
  ...defaultFunnelDefinition,
  version: 2,
  name: 'Stricter MQL',
  mql: { ...defaultFunnelDefinition.mql, threshold: defaultFunnelDefinition.mql.threshold + 12 },
};
const draft: FunnelDefinition = {
  ...defaultFunnelDefinition,
  version: 3,
  name: 'Lenient what-if',
  mql: { ...defaultFunnelDefinition.mql, threshold: defaultFunnelDefinition.mql.threshold - 15 },
};

interface Health {
  ruleFacts: {
    version: string;
    rederiving: { rulesVersion: number; definitionHash: string; computedBy: string }[];
  };
}

let chdbPath: string;
let dataDir: string | null = null;
let app: INestApplication | null = null;

beforeAll(async () => {
  chdbPath = await mkdtemp(join(tmpdir(), 'tandem-rule-facts-version-'));
});
afterAll(async () => {
  await app?.close();
  if (dataDir !== null) await rm(dataDir, { recursive: true, force: true });
  await rm(chdbPath, { recursive: true, force: true });
});

const http = () => app!.getHttpServer() as App;

/** Starts (or resumes) a replay and follows it until done. */
async function replayed(body: object): Promise<void> {
  const started = await eventually(
    async () => {
      const response = await request(http())
        .post('/ops/rules/replays')
        .set(asRole('ops'))
        .send(body);
      return response.status === 202 ? response : undefined;
    },
    `a replay of ${JSON.stringify(body).slice(0, 40)} starts`,
  );
  const { id } = started.body as { id: string };
  await eventually(async () => {
    const { body: job } = await request(http())
      .get(`/ops/rules/replays/${encodeURIComponent(id)}`)
      .set(asRole('ops'))
      .expect(200);
    const { status } = job as { status: string };
    if (status === 'failed') throw new Error(`replay failed: ${JSON.stringify(job)}`);
    return status === 'done' ? true : undefined;
  }, 'the replay finishes');
}

/** Every view under every kept set, once all three are ready. */
async function views(): Promise<ViewBodies> {
  await waitForProjection(http());
  await eventually(async () => {
    const { body } = await request(http()).get('/ops/rules').set(asRole('ops')).expect(200);
    const { sets } = body as { sets: { status: string }[] };
    return sets.length === 3 && sets.every((set) => set.status === 'ready') ? true : undefined;
  }, 'three rule sets ready');
  return readViews((await app!.getUrl()).replace('[::1]', '127.0.0.1'));
}

const health = async () =>
  (await request(http()).get('/health').set(asRole('ops')).expect(200)).body as Health;

it('re-derives the rows another build computed, says so meanwhile, and then answers as a rebuild', async () => {
  const api = await startFunnelApi(join(chdbPath, 'chdb'), { replayBatchLeads: 2 });
  app = api.app;
  dataDir = api.config.dataDir;
  await app.listen(0, '127.0.0.1');
  await appendScoredLeads(api.store, scoredLeads(80, 23, Date.UTC(2025, 2, 3), { visitors: true }));
  await waitForProjection(http());
  await request(http()).post('/definitions').set(asRole('ops')).send(stricter).expect(201);
  await replayed({ version: 2 });
  await replayed({ draft });
  const clean = await views();
  expect((await health()).ruleFacts).toEqual({ version: ruleFactsVersion(), rederiving: [] });

  // ClickHouse as a build with another facts version left it.
  const analytics = app.get<AnalyticsHandle>(ANALYTICS);
  await analytics.queries.snapshotSettled();
  const { client, database } = analytics;
  const sets = await readRuleSets(client, { database });
  expect(sets.map((set) => set.factsVersion)).toEqual(sets.map(() => ruleFactsVersion()));
  await leaveAsPreviousBuild(client, database, PREVIOUS_BUILD);
  for (const markers of [
    analyticsTables.leadFunnelSnapshotMarkers,
    analyticsTables.leadFunnelRollupMarkers,
    analyticsTables.leadAttributionCreditMarkers,
    analyticsTables.leadEventAuditMarkers,
  ]) {
    await client.command({
      query: 'TRUNCATE TABLE {db:Identifier}.{table:Identifier}',
      query_params: { db: database, table: markers },
    });
  }
  await app.close();
  app = null;

  // This build starts over it.
  app = await createFunnelApi({
    ...api.config,
    logLevel: 'warn',
    replay: { ...api.config.replay, batchLeads: 20 },
  });
  await app.listen(0, '127.0.0.1');
  const first = await health();
  const ready = await request(http()).get('/health/ready');
  await eventually(
    async () => ((await health()).ruleFacts.rederiving.length === 0 ? true : undefined),
    'every set re-derived',
    300_000,
  );
  const rederived = await views();
  expect(viewDifferences(clean, rederived)).toEqual([]);
  // Each set's rows are this build's now, and it says so.
  const reopened = app.get<AnalyticsHandle>(ANALYTICS);
  const after = await readRuleSets(reopened.client, { database });
  expect(after.map((set) => [set.status, set.factsVersion])).toEqual(
    after.map(() => ['ready', ruleFactsVersion()]),
  );
  // What it said from its first request until then.
  expect(first.ruleFacts.version).toBe(ruleFactsVersion());
  // The active set is re-derived first, the others one at a time after it: the what-if's is
  // still listed, with the build that computed its rows.
  const shadow = sets.find((set) => set.kind === 'shadow')!;
  expect(first.ruleFacts.rederiving).toContainEqual({
    rulesVersion: shadow.rulesVersion,
    definitionHash: shadow.definitionHash,
    computedBy: PREVIOUS_BUILD,
  });
  expect(ready.status).toBe(503);
  expect((ready.body as { failed: string[] }).failed).toContain('ruleFacts');

  // A fresh rebuild of the same events under the same rule sets answers the same.
  await request(http()).post('/ops/rebuild').set(asRole('ops')).expect(202);
  await waitForProjection(http());
  await replayed({ version: 2 });
  await replayed({ draft });
  const rebuilt = await views();
  expect(viewDifferences(rebuilt, rederived)).toEqual([]);
});
