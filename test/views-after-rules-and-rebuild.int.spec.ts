/**
 * The views' snapshots never make a view differ from the state nor from a fresh rebuild, across
 * what changes which rule set the views read without changing a lead: a real API (PGlite, its
 * embedded projector, chDB, snapshots on at any size) holds leads (some stitched to anonymous
 * visitors); version 2 is published, replayed and applied, then version 1 applied back (its
 * snapshot from before the apply read again); then POST /ops/rebuild, and version 2 replayed
 * again. At each step every view of every kept set, read through the API's own snapshots, is
 * byte-identical to the same view read from the state alone, and after the rebuild every view is
 * byte-identical to the one read before it.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defaultFunnelDefinition, type FunnelDefinition } from '@tandem/domain';
import request from 'supertest';
import type { App } from 'supertest/types';
import type { AnalyticsHandle } from '../apps/funnel-api/src/platform/analytics.provider';
import { ANALYTICS } from '../apps/funnel-api/src/platform/tokens';
import { AnalyticsQueries } from '../libs/analytics/src/views/analytics.queries';
import type { RuleSet } from '../libs/analytics/src/rules/rule-sets';
import { everyView } from '../libs/analytics/src/testing/every-view.fixture';
import { eventually } from './support/eventually';
import {
  type FunnelApiFixture,
  startFunnelApi,
  waitForProjection,
} from './support/funnel-api.fixture';
import { appendScoredLeads, scoredLeads } from './support/scored-leads';
import { asRole } from './support/auth-headers';

jest.setTimeout(600_000);

let dir: string;
let api: FunnelApiFixture;
let http: App;
let analytics: AnalyticsHandle;
/** The same database read from the state alone: what the snapshots must answer. */
let state: AnalyticsQueries;

const stricter: FunnelDefinition = {
  ...defaultFunnelDefinition,
  version: 2,
  name: 'Stricter MQL',
  mql: { ...defaultFunnelDefinition.mql, threshold: defaultFunnelDefinition.mql.threshold + 12 },
};

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'tandem-views-rules-rebuild-'));
  api = await startFunnelApi(join(dir, 'chdb'), { replayBatchLeads: 10 });
  http = api.app.getHttpServer() as App;
  analytics = api.app.get<AnalyticsHandle>(ANALYTICS);
  state = new AnalyticsQueries(analytics.client, {
    database: analytics.database,
    reader: analytics.reader,
  });
  await appendScoredLeads(
    api.store,
    scoredLeads(120, 11, Date.UTC(2025, 0, 6), { visitors: true }),
  );
  await waitForProjection(http);
});

afterAll(async () => {
  await api?.close();
  await rm(dir, { recursive: true, force: true });
});

/** POST /ops/rules/applies (replay unless built, then activate), followed until done. */
async function apply(version: number): Promise<void> {
  const started = await request(http)
    .post('/ops/rules/applies')
    .set(asRole('ops'))
    .send({ version });
  expect([200, 202]).toContain(started.status);
  const { id } = started.body as { id: string };
  await eventually(async () => {
    const { body } = await request(http)
      .get(`/ops/rules/applies/${encodeURIComponent(id)}`)
      .set(asRole('ops'))
      .expect(200);
    const { status } = body as { status: string };
    if (status === 'failed')
      throw new Error(`apply of version ${version}: ${JSON.stringify(body)}`);
    return status === 'done' ? true : undefined;
  }, `version ${version} applied`);
}

/** Every set GET /ops/rules lists, once each is ready. */
async function readySets(versions: number): Promise<RuleSet[]> {
  return eventually(async () => {
    const sets = await state.ruleSets();
    return sets.length === versions && sets.every((set) => set.status === 'ready')
      ? sets
      : undefined;
  }, `${versions} rule sets ready`);
}

/**
 * Every view of every ready set through the API's snapshots (each set's own, taken now unless
 * `keep` names sets whose older snapshot must be the one read), checked against the state.
 */
async function viewsThroughSnapshots(
  versions: number,
  keep: readonly RuleSet[] = [],
): Promise<Map<string, string>> {
  await waitForProjection(http);
  const answers = new Map<string, string>();
  for (const set of await readySets(versions)) {
    const name = `${set.rulesVersion}/${set.definitionHash}`;
    const kept = keep.some((k) => `${k.rulesVersion}/${k.definitionHash}` === name);
    // Null while a rebuild still holds the background builds (released at the head).
    if (!kept) {
      await eventually(
        async () => (await analytics.queries.takeSnapshot(set)) ?? undefined,
        `a snapshot of ${name}`,
      );
    }
    expect((await analytics.queries.funnelRead(set)).read).not.toBeNull();
    const through = await everyView(analytics.queries, set);
    expect(through).toBe(await everyView(state, set));
    answers.set(name, through);
  }
  return answers;
}

it('answers every view of every set through snapshots as the state does, and as a rebuild does', async () => {
  const first = await viewsThroughSnapshots(1);
  const [v1] = await readySets(1);

  await request(http).post('/definitions').set(asRole('ops')).send(stricter).expect(201);
  await apply(2);
  const applied = await viewsThroughSnapshots(2, [v1!]);
  // Version 1's views did not move: no lead changed, only which set is active.
  expect(applied.get(`1/${v1!.definitionHash}`)).toBe(first.get(`1/${v1!.definitionHash}`));

  await apply(1);
  const rolledBack = await viewsThroughSnapshots(2, await readySets(2));
  expect(rolledBack).toEqual(applied);

  await request(http).post('/ops/rebuild').set(asRole('ops')).expect(202);
  await waitForProjection(http);
  // The rebuild registers version 2 after the leads: it waits for a replay.
  await eventually(async () => {
    const response = await request(http)
      .post('/ops/rules/replays')
      .set(asRole('ops'))
      .send({ version: 2 });
    return response.status === 202 ? true : undefined;
  }, 'version 2 replayed after the rebuild');
  const rebuilt = await viewsThroughSnapshots(2);
  expect([...rebuilt.keys()]).toEqual([...rolledBack.keys()]);
  for (const [name, answer] of rebuilt) expect(answer).toBe(rolledBack.get(name));
});
