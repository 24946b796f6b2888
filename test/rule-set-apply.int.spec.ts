/**
 * The server-side apply (RuleSetApplies behind POST /ops/rules/applies) on real engines
 * (PGlite + chDB), through HTTP: a version published over a non-empty history is replayed,
 * then activated, its progress followed at the apply's Location; a ready version is activated
 * at once (200); asking again while an apply runs joins it (same apply, one replay), and
 * asking again once it is done changes nothing; an unpublished version is a 404.
 */
import type { RuleSetRepository } from '@tandem/analytics';
import { leadStreamId } from '@tandem/domain';
import request from 'supertest';
import type { AnalyticsHandle } from '../apps/funnel-api/src/platform/analytics.provider';
import { ANALYTICS } from '../apps/funnel-api/src/platform/tokens';
import { asRole } from './support/auth-headers';
import { eventually } from './support/eventually';
import { waitForProjection, funnelApiPerFile } from './support/funnel-api.fixture';
import { leadJourney } from './support/lead-journeys';
import { stricterDefinition } from './support/stricter-definitions';

jest.setTimeout(180_000);

const suite = funnelApiPerFile('apply');
let replays: jest.SpiedFunction<RuleSetRepository['replay']>;
/** While set, every replay waits for it before it starts: an apply stays "replaying". */
let gate: Promise<void> | null = null;

const definition = stricterDefinition;

interface RuleSetRef {
  rulesVersion: number;
  definitionHash: string;
}
interface ApplyView extends RuleSetRef {
  id: string;
  status: 'replaying' | 'activating' | 'done' | 'failed';
  replay: (RuleSetRef & { id: string; status: string }) | null;
  activation: { active: RuleSetRef; previous: RuleSetRef | null; viewsSwitched: boolean } | null;
  error: string | null;
}
interface RuleSets {
  active: RuleSetRef | null;
  sets: (RuleSetRef & { status: string; replaying: string | null })[];
}

const ruleSets = async () =>
  (await request(suite.http).get('/ops/rules').set(asRole('ops')).expect(200)).body as RuleSets;
const apply = (version: number) =>
  request(suite.http).post('/ops/rules/applies').set(asRole('ops')).send({ version });
const replaysOf = (version: number) =>
  replays.mock.calls.filter(([set]) => set.rulesVersion === version).length;

async function settled(id: string): Promise<ApplyView> {
  return eventually(async () => {
    const { body } = await request(suite.http)
      .get(`/ops/rules/applies/${id}`)
      .set(asRole('ops'))
      .expect(200);
    const view = body as ApplyView;
    return view.status === 'done' || view.status === 'failed' ? view : undefined;
  }, `apply ${id} ends`);
}

beforeAll(async () => {
  const { api, http } = suite;
  const repository = api.app.get<AnalyticsHandle>(ANALYTICS).ruleSets;
  const replay = repository.replay.bind(repository);
  replays = jest.spyOn(repository, 'replay').mockImplementation(async (...args) => {
    await gate;
    return replay(...args);
  });
  for (const index of [0, 1, 2, 3]) {
    const journey = leadJourney(index);
    await api.store.append(leadStreamId(journey.leadId), journey.events, {
      expectedRevision: 'no_stream',
    });
  }
  await waitForProjection(http);
  for (const [version, step] of [
    [2, 12],
    [3, 20],
  ] as const) {
    await request(http)
      .post('/definitions')
      .set(asRole('ops'))
      .send(definition(version, step))
      .expect(201);
  }
  await eventually(async () => {
    const { sets } = await ruleSets();
    const pending = sets.filter((set) => set.status === 'pending').map((set) => set.rulesVersion);
    return pending.includes(2) && pending.includes(3) ? true : undefined;
  }, 'versions 2 and 3 are registered, pending a replay');
});

it('replays a version that is not built, then activates it', async () => {
  const started = await apply(2).expect(202);
  const first = started.body as ApplyView;
  expect(first).toMatchObject({ rulesVersion: 2, status: 'replaying' });
  expect(first.replay).toMatchObject({ rulesVersion: 2 });
  expect(started.headers.location).toBe(`/ops/rules/applies/${first.id}`);

  const ended = await settled(first.id);
  expect(ended).toMatchObject({
    id: first.id,
    status: 'done',
    replay: { id: first.replay?.id, status: 'done' },
    activation: {
      active: { rulesVersion: 2 },
      previous: { rulesVersion: 1 },
      viewsSwitched: true,
    },
    error: null,
  });
  expect(replaysOf(2)).toBe(1);
  const { active, sets } = await ruleSets();
  expect(active?.rulesVersion).toBe(2);
  expect(sets.find((set) => set.rulesVersion === 2)?.status).toBe('ready');
  const funnel = await request(suite.http).get('/analytics/funnel').set(asRole('ops')).expect(200);
  expect(funnel.headers['x-tandem-rules-version']).toBe('2');
});

it('activates a version whose rule set is ready at once', async () => {
  const before = replays.mock.calls.length;
  const { body } = await apply(1).expect(200);
  expect(body).toMatchObject({
    rulesVersion: 1,
    status: 'done',
    replay: null,
    activation: { active: { rulesVersion: 1 }, previous: { rulesVersion: 2 } },
  });
  expect(replays.mock.calls.length).toBe(before);
  expect((await ruleSets()).active?.rulesVersion).toBe(1);
});

it('joins the running apply when asked again, and changes nothing once it is done', async () => {
  let open = () => {};
  gate = new Promise<void>((resolve) => (open = resolve));
  try {
    const first = (await apply(3).expect(202)).body as ApplyView;
    const again = (await apply(3).expect(202)).body as ApplyView;
    expect(again.id).toBe(first.id);
    expect(again.replay?.id).toBe(first.replay?.id);
    const { sets } = await ruleSets();
    expect(sets.find((set) => set.rulesVersion === 3)?.replaying).toBe(first.replay?.id);
    expect(replaysOf(3)).toBe(1);

    open();
    const ended = await settled(first.id);
    expect(ended).toMatchObject({
      status: 'done',
      activation: { active: { rulesVersion: 3 }, previous: { rulesVersion: 1 } },
    });
    expect(replaysOf(3)).toBe(1);
  } finally {
    open();
    gate = null;
  }

  const retried = (await apply(3).expect(200)).body as ApplyView;
  expect(retried).toMatchObject({
    status: 'done',
    replay: null,
    activation: { active: { rulesVersion: 3 }, previous: { rulesVersion: 3 } },
  });
  expect(replaysOf(3)).toBe(1);
});

it('answers 404 for a version that is not published', async () => {
  const { body } = await apply(9).expect(404);
  expect(body).toMatchObject({ status: 404 });
  expect(replays.mock.calls.some(([set]) => set.rulesVersion === 9)).toBe(false);
});
