/**
 * Rule-set ops and a rebuild at once, on real engines (PGlite + chDB), through HTTP. A replay
 * (of a version, or a what-if draft) and an apply asked for while POST /ops/rebuild empties
 * the analytics wait for the projection to be back at the head and finish; a rebuild asked for
 * while a replay runs lets it finish too. Each race is held open deterministically (the reset,
 * or the replay after its first batch, waits on a gate), never timed. Once everything settles,
 * every view under every kept rule set equals what a clean rebuild gives, and asking again
 * (the same Idempotency-Key, or a new request) changes nothing.
 */
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { leadStreamId } from '@tandem/domain';
import request from 'supertest';
import type { AnalyticsHandle } from '../apps/funnel-api/src/platform/analytics.provider';
import { ANALYTICS } from '../apps/funnel-api/src/platform/tokens';
import { asRole } from './support/auth-headers';
import { eventually } from './support/eventually';
import { funnelApiPerFile, waitForProjection } from './support/funnel-api.fixture';
import { leadJourney } from './support/lead-journeys';
import { stricterDefinition } from './support/stricter-definitions';
import { readViews, viewDifferences } from './support/view-fingerprint';

jest.setTimeout(240_000);

// Five leads per replay batch: a replay of this history takes several, so a rebuild can come
// between two of them.
const suite = funnelApiPerFile('rules-ops-during-rebuild', { replayBatchLeads: 5 });

const definition = stricterDefinition;

interface JobView {
  id: string;
  status: string;
  error: string | null;
}
interface RuleSets {
  active: { rulesVersion: number } | null;
  sets: { rulesVersion: number; status: string; replaying: string | null }[];
}

let baseUrl: string;
beforeAll(async () => {
  // readViews speaks HTTP to a listening API (every view under every kept rule set).
  const server = (await suite.api.app.listen(0, '127.0.0.1')) as Server;
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  for (let i = 0; i < 20; i++) {
    const journey = leadJourney(i, i % 2 === 0 ? 'webinar' : 'referral');
    await suite.api.store.append(leadStreamId(journey.leadId), journey.events, {
      expectedRevision: 'no_stream',
    });
  }
});

const ops = (method: 'get' | 'post', path: string) =>
  request(suite.http)[method](path).set(asRole('ops'));
const ruleSets = async () => (await ops('get', '/ops/rules').expect(200)).body as RuleSets;

/** The job at `path` once it is no longer running (replaying, activating). */
const settled = (path: string) =>
  eventually(
    async () => {
      const job = (await ops('get', path).expect(200)).body as JobView;
      return ['running', 'replaying', 'activating'].includes(job.status) ? undefined : job;
    },
    `${path} has ended`,
    120_000,
  );

/**
 * Holds the next statement of the analytics client that `matches` until `release` is called:
 * `reached` resolves once it is held. Only the first match is held.
 */
function holdFirst(method: 'command' | 'insert', matches: (params: unknown) => boolean) {
  const client = suite.api.app.get<AnalyticsHandle>(ANALYTICS).client;
  let release = () => {};
  const gate = new Promise<void>((resolve) => (release = resolve));
  let reach = () => {};
  const reached = new Promise<void>((resolve) => (reach = resolve));
  let held = false;
  const original = client[method].bind(client) as (params: unknown) => Promise<unknown>;
  const spy = jest.spyOn(client, method).mockImplementation((async (params: unknown) => {
    if (!held && matches(params)) {
      held = true;
      reach();
      await gate;
    }
    return original(params);
  }) as never);
  return { reached, release, restore: () => spy.mockRestore() };
}

it('rule-set ops and a rebuild at once all finish, and the views are a clean rebuild', async () => {
  await waitForProjection(suite.http);
  await ops('post', '/definitions').send(definition(2, 12)).expect(201);
  await ops('post', '/definitions').send(definition(3, 6)).expect(201);

  // The rebuild held at its reset: the projector's subscription is gone and not started again.
  const reset = holdFirst('command', (params) =>
    String((params as { query?: string }).query).includes('TRUNCATE'),
  );
  const rebuild = Promise.resolve(ops('post', '/ops/rebuild'));
  const [replay, whatIf, apply] = await reset.reached
    .then(() =>
      Promise.all([
        ops('post', '/ops/rules/replays').send({ version: 3 }),
        ops('post', '/ops/rules/replays').send({ draft: definition(4, 20) }),
        ops('post', '/ops/rules/applies').set('idempotency-key', 'apply-2').send({ version: 2 }),
      ]),
    )
    .finally(() => {
      reset.release();
      reset.restore();
    });
  expect((await rebuild).status).toBe(202);
  expect([replay.status, whatIf.status, apply.status]).toEqual([202, 202, 202]);
  await waitForProjection(suite.http);

  // Each ran to its end: before the fix each replay failed at once ("projector not started").
  for (const [answer, path] of [
    [replay, '/ops/rules/replays'],
    [whatIf, '/ops/rules/replays'],
    [apply, '/ops/rules/applies'],
  ] as const) {
    const job = await settled(`${path}/${(answer.body as JobView).id}`);
    expect({ status: job.status, error: job.error }).toEqual({ status: 'done', error: null });
  }
  expect((await ruleSets()).active?.rulesVersion).toBe(2);

  // Asked again: the same apply answered from its key; a new replay finds its set ready.
  const again = await ops('post', '/ops/rules/applies')
    .set('idempotency-key', 'apply-2')
    .send({ version: 2 });
  expect(again.status).toBe(apply.status);
  expect(again.body).toEqual(apply.body);
  await ops('post', '/ops/rules/applies').send({ version: 2 }).expect(200);
  const resent = await ops('post', '/ops/rules/replays').send({ version: 3 }).expect(202);
  expect((resent.body as JobView).status).toBe('done');

  // And the other way round: a rebuild asked for while a replay runs lets it finish.
  await ops('post', '/definitions').send(definition(4, 9)).expect(201);
  // The replay held after its first batch's checkpoint: its set is building, part-way.
  const batch = holdFirst('insert', (params) => {
    const [row] = (params as { values?: { status?: string; checkpoint_lead_id?: string }[] })
      .values ?? [{}];
    return row?.status === 'building' && (row.checkpoint_lead_id ?? '') !== '';
  });
  const midWay = await ops('post', '/ops/rules/replays').send({ version: 4 }).expect(202);
  await batch.reached
    .then(() => ops('post', '/ops/rebuild').expect(202))
    .finally(() => {
      batch.release();
      batch.restore();
    });
  await waitForProjection(suite.http);
  const job = await settled(`/ops/rules/replays/${(midWay.body as JobView).id}`);
  expect({ status: job.status, error: job.error }).toEqual({ status: 'done', error: null });
  // Version 4's published set, and the what-if draft of a version 4 kept beside it.
  const fours = (await ruleSets()).sets.filter((set) => set.rulesVersion === 4);
  expect(fours.map((set) => set.status)).toEqual(['ready', 'ready']);

  // Settled, every view under every kept set is what a clean rebuild gives.
  const settledViews = await readViews(baseUrl);
  await ops('post', '/ops/rebuild').expect(202);
  await waitForProjection(suite.http);
  expect(viewDifferences(await readViews(baseUrl), settledViews)).toEqual([]);
});
