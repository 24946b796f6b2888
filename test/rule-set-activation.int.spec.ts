/**
 * Activation through RuleSetActivation on real engines (PGlite + chDB), through HTTP: a version
 * published over a non-empty history is pending until replayed, and activating it is refused
 * by the rule-set lifecycle (409 `not_ready`, naming the set and the way out); once replayed it
 * activates and the views read it before the answer; an unpublished version is a 404; one sent
 * during a rebuild is answered 200 or 202, never 500; one conditioned on the version in force
 * (`expectedActiveVersion`) is refused once another was activated, never a roll-back; one
 * conditioned on the activation in force (`expectedActivationId`) also after A → B → A, and an
 * apply so conditioned too, before any replay.
 */
import { defaultFunnelDefinition, leadStreamId, type FunnelDefinition } from '@tandem/domain';
import request from 'supertest';
import { asRole } from './support/auth-headers';
import { eventually } from './support/eventually';
import { waitForProjection, funnelApiPerFile } from './support/funnel-api.fixture';
import { leadJourney } from './support/lead-journeys';

jest.setTimeout(180_000);

const suite = funnelApiPerFile('activation');

const stricter: FunnelDefinition = {
  ...defaultFunnelDefinition,
  version: 2,
  name: 'Stricter MQL',
  mql: { ...defaultFunnelDefinition.mql, threshold: defaultFunnelDefinition.mql.threshold + 12 },
};

interface RuleSets {
  active: { rulesVersion: number } | null;
  sets: { rulesVersion: number; status: string; updatedAt: string | null }[];
}
const ruleSets = async () =>
  (await request(suite.http).get('/ops/rules').set(asRole('ops')).expect(200)).body as RuleSets;
const activate = (version: number) =>
  request(suite.http).post('/ops/rules/activations').set(asRole('ops')).send({ version });

it('refuses a set that is not ready, activates it once replayed, and 404s an unpublished one', async () => {
  const journey = leadJourney(0);
  await suite.api.store.append(leadStreamId(journey.leadId), journey.events, {
    expectedRevision: 'no_stream',
  });
  await waitForProjection(suite.http);
  await request(suite.http).post('/definitions').set(asRole('ops')).send(stricter).expect(201);
  await eventually(async () => {
    const { sets } = await ruleSets();
    return sets.some((set) => set.rulesVersion === 2 && set.status === 'pending')
      ? true
      : undefined;
  }, 'version 2 is registered, pending a replay');

  const refused = await activate(2).expect(409);
  expect(refused.body).toMatchObject({ status: 409, code: 'not_ready' });
  expect((refused.body as { detail: string }).detail).toMatch(
    /^rules version 2 \(sha [0-9a-f]{16}\) is pending: .*tandem rules apply 2/,
  );
  expect((await ruleSets()).active?.rulesVersion).toBe(1);
  // A view asked under it answers the same: its numbers would be partial (they were a 200,
  // fewer MQLs than the set will count once built). Without rulesVersion, the active set's.
  for (const view of ['funnel', 'marketing', 'funnel/leads?stage=mql']) {
    const path = `/analytics/${view}${view.includes('?') ? '&' : '?'}rulesVersion=2`;
    const partial = await request(suite.http).get(path).set(asRole('analyst')).expect(409);
    expect(partial.body).toMatchObject({ code: 'not_ready' });
    expect((partial.body as { detail: string }).detail).toMatch(/^rules version 2 .* is pending/);
  }
  await request(suite.http).get('/analytics/funnel').set(asRole('analyst')).expect(200);

  const replay = await request(suite.http)
    .post('/ops/rules/replays')
    .set(asRole('ops'))
    .send({ version: 2 })
    .expect(202);
  const id = (replay.body as { id: string }).id;
  await eventually(async () => {
    const { body } = await request(suite.http)
      .get(`/ops/rules/replays/${id}`)
      .set(asRole('ops'))
      .expect(200);
    return (body as { status: string }).status === 'done' ? true : undefined;
  }, 'the replay of version 2 finishes');

  // Version 1 was kept by the live projection from an empty history: no replay built it, so
  // it has no time to show; version 2's replay has one.
  const built = (await ruleSets()).sets;
  expect(built.find((set) => set.rulesVersion === 1)?.updatedAt).toBeNull();
  expect(built.find((set) => set.rulesVersion === 2)?.updatedAt).toMatch(/^20\d\d-/);

  await request(suite.http)
    .get('/analytics/funnel?rulesVersion=2')
    .set(asRole('analyst'))
    .expect(200);
  const activated = await activate(2).expect(200);
  expect(activated.body).toMatchObject({
    active: { rulesVersion: 2 },
    previous: { rulesVersion: 1 },
    viewsSwitched: true,
  });
  expect((await ruleSets()).active?.rulesVersion).toBe(2);
  const funnel = await request(suite.http).get('/analytics/funnel').set(asRole('ops')).expect(200);
  expect(funnel.headers['x-tandem-rules-version']).toBe('2');

  await activate(9).expect(404);
});

it('records an activation sent during a rebuild and answers it, never a 500', async () => {
  await waitForProjection(suite.http);
  // The rebuild stops the projector's subscription and starts it again after the reset: an
  // activation in between found no subscription to wait on and answered 500, recorded anyway.
  const [rebuild, ...activations] = await Promise.all([
    request(suite.http).post('/ops/rebuild').set(asRole('ops')),
    activate(1),
    activate(2),
    activate(1),
  ]);
  expect(rebuild.status).toBe(202);
  for (const activation of activations) expect([200, 202]).toContain(activation.status);
  await waitForProjection(suite.http);
  // Rebuilt, the views follow the next activation before its answer again.
  await activate(1).expect(200);
  expect((await ruleSets()).active?.rulesVersion).toBe(1);
});

it('refuses a late retry under expectedActiveVersion once another version was activated', async () => {
  await waitForProjection(suite.http);
  await activate(1).expect(200);
  const conditioned = () =>
    request(suite.http)
      .post('/ops/rules/activations')
      .set(asRole('ops'))
      .send({ version: 2, expectedActiveVersion: 1 });
  // The first attempt is carried out (its answer, say, lost on the way back)…
  await conditioned().expect(200);
  // …a retry while it is in force is the same success, recording nothing…
  const head = await suite.api.store.headPosition();
  await conditioned().expect(200);
  expect(await suite.api.store.headPosition()).toBe(head);
  // …then another operator puts version 3 in force.
  await request(suite.http)
    .post('/definitions')
    .set(asRole('ops'))
    .send({ ...stricter, version: 3, name: 'Strictest MQL' })
    .expect(201);
  const apply = await request(suite.http)
    .post('/ops/rules/applies')
    .set(asRole('ops'))
    .send({ version: 3 });
  expect([200, 202]).toContain(apply.status);
  await eventually(async () => {
    const { body } = await request(suite.http)
      .get(apply.headers.location!)
      .set(asRole('ops'))
      .expect(200);
    return (body as { status: string }).status === 'done' ? true : undefined;
  }, 'version 3 is applied');
  expect((await ruleSets()).active?.rulesVersion).toBe(3);

  // The retry arriving now would have rolled version 3 back to 2; it is refused, naming 3.
  const before = await suite.api.store.headPosition();
  const late = await conditioned().expect(409);
  expect(late.body).toMatchObject({
    status: 409,
    code: 'active_version_changed',
    activeVersion: 3,
    detail: expect.stringMatching(
      /^version 2 was not activated: the request expected version 1 in force, but version 3 is/,
    ) as unknown,
  });
  expect(await suite.api.store.headPosition()).toBe(before);
  expect((await ruleSets()).active?.rulesVersion).toBe(3);
});

/** What GET /definitions says is in force: the version and the activation that put it there. */
const inForce = async () => {
  const { body } = await request(suite.http).get('/definitions').set(asRole('ops')).expect(200);
  const { active, activationId } = body as { active: number; activationId: string };
  return { active, activationId };
};

it('refuses a late retry under expectedActivationId after A → B → A, where the version cannot tell', async () => {
  await waitForProjection(suite.http);
  await activate(1).expect(200);
  const seen = await inForce();
  expect(seen).toMatchObject({ active: 1, activationId: expect.any(String) as unknown });
  const conditioned = () =>
    request(suite.http)
      .post('/ops/rules/activations')
      .set(asRole('ops'))
      .send({ version: 2, expectedActivationId: seen.activationId });
  // The first attempt is carried out; its answer names the activation it made…
  const first = await conditioned().expect(200);
  const made = (first.body as { activationId: string }).activationId;
  expect(made).not.toBe(seen.activationId);
  expect(await inForce()).toEqual({ active: 2, activationId: made });
  // …a retry while it is in force is the same success, recording nothing…
  const head = await suite.api.store.headPosition();
  await conditioned().expect(200);
  expect(await suite.api.store.headPosition()).toBe(head);
  // …then another operator rolls back to version 1: A → B → A.
  await activate(1).expect(200);
  const rolledBack = await inForce();
  expect(rolledBack.active).toBe(1);

  // The retry arriving now would undo the roll-back; expectedActiveVersion: 1 lets it through,
  // the activation it saw is gone, so it is refused, naming the one in force.
  const before = await suite.api.store.headPosition();
  const late = await conditioned().expect(409);
  expect(late.body).toMatchObject({
    status: 409,
    code: 'activation_changed',
    activeVersion: 1,
    activationId: rolledBack.activationId,
    detail: expect.stringMatching(
      new RegExp(
        `^version 2 was not activated: the request expected activation ${seen.activationId} in force, ` +
          `but activation ${rolledBack.activationId} \\(version 1\\) is`,
      ),
    ) as unknown,
  });
  expect(await suite.api.store.headPosition()).toBe(before);

  // An apply takes the same precondition and refuses at once, before any replay.
  const apply = await request(suite.http)
    .post('/ops/rules/applies')
    .set(asRole('ops'))
    .send({ version: 2, expectedActivationId: seen.activationId })
    .expect(409);
  expect(apply.body).toMatchObject({ code: 'activation_changed', activeVersion: 1 });
  expect(await suite.api.store.headPosition()).toBe(before);
  expect(await inForce()).toEqual(rolledBack);

  // With the activation in force, the apply goes through and names its own.
  const applied = await request(suite.http)
    .post('/ops/rules/applies')
    .set(asRole('ops'))
    .send({ version: 2, expectedActivationId: rolledBack.activationId });
  expect([200, 202]).toContain(applied.status);
  const done = await eventually(async () => {
    const { body } = await request(suite.http)
      .get(applied.headers.location!)
      .set(asRole('ops'))
      .expect(200);
    const view = body as { status: string; activation: { activationId: string } | null };
    return view.status === 'done' ? view : undefined;
  }, 'version 2 is applied');
  expect(await inForce()).toEqual({ active: 2, activationId: done.activation?.activationId });
});
