/**
 * Every /analytics view, walked parameter by parameter on real engines (PGlite + chDB): the
 * rule set (rulesVersion, definitionHash), asOf, the capture window, the row filters and
 * pagination each change the answer where they should, and the rules headers name the set the
 * answer was computed under. This is the test that notices a view which accepts a parameter
 * and ignores it (issue 14: attribution once read the active set whatever was asked).
 *
 * The history is chosen so each parameter must matter: a seeded population spread around the
 * MQL threshold (a stricter draft changes who is an MQL, and a shorter SLA who is past due),
 * a marketing target for the period, all captured within a few days of October 2025.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defaultFunnelDefinition, leadStreamId } from '@tandem/domain';
import request from 'supertest';
import type { App } from 'supertest/types';
import { declaredViews } from '../apps/funnel-api/src/analytics/analytics-view.declarations';
import { asRole } from './support/auth-headers';
import { eventually } from './support/eventually';
import {
  type FunnelApiFixture,
  startFunnelApi,
  waitForProjection,
} from './support/funnel-api.fixture';
import { scoredLeads } from './support/scored-leads';

jest.setTimeout(300_000);

let dir: string;
let api: FunnelApiFixture;
let http: App;

interface RuleSetRef {
  rulesVersion: number;
  definitionHash: string;
}
let active: RuleSetRef;
let draftSet: RuleSetRef;

const draft = {
  ...defaultFunnelDefinition,
  version: 2,
  name: 'Stricter MQL, shorter SLA',
  mql: { ...defaultFunnelDefinition.mql, threshold: defaultFunnelDefinition.mql.threshold + 12 },
  sla: { ...defaultFunnelDefinition.sla, acceptWithinHours: 1 },
};

const get = (path: string) => request(http).get(path).set(asRole('ops', 'view-walker'));
const post = (path: string, body: object) =>
  request(http).post(path).set(asRole('ops', 'view-walker')).send(body);

/**
 * Each view: its path and required parameters, and which of the parameters the fixture
 * history makes matter. `rules: false` is a claim too: the sales lenses count hand-offs and
 * outcomes, which no rule decides, so another rule set must give the same rows.
 */
interface WalkedView {
  readonly path: string;
  readonly required: string;
  readonly rules: boolean;
  readonly window: boolean;
  readonly filters: readonly string[];
}
const walked: readonly WalkedView[] = [
  { path: 'funnel', required: '', rules: true, window: true, filters: [] },
  { path: 'funnel/time-in-stage', required: '', rules: true, window: true, filters: [] },
  { path: 'funnel/cohorts', required: 'grain=week', rules: true, window: true, filters: [] },
  {
    path: 'funnel/trend',
    required: 'grain=week',
    rules: true,
    window: true,
    filters: ['channel', 'campaign'],
  },
  {
    // Who is an MQL is the rules' to say: a stricter draft lists fewer leads.
    path: 'funnel/leads',
    required: 'stage=mql',
    rules: true,
    window: true,
    filters: ['channel', 'campaign', 'owner'],
  },
  {
    path: 'marketing',
    required: '',
    rules: true,
    window: true,
    filters: ['channel', 'campaign'],
  },
  {
    // Credit follows touches and deal amounts, which no rule decides (the linear model has no
    // milestone a rule could move); the headers must still name the set asked for.
    path: 'marketing/attribution',
    required: 'model=linear',
    rules: false,
    window: true,
    filters: ['channel', 'campaign'],
  },
  { path: 'sales', required: '', rules: false, window: true, filters: ['owner'] },
  {
    path: 'sales/performance',
    required: '',
    rules: false,
    window: true,
    filters: ['team', 'owner'],
  },
  {
    // Without asOf, open hand-offs are judged against the request time: all of 2025 is past.
    path: 'alignment',
    required: '',
    rules: true,
    window: true,
    filters: ['channel', 'campaign'],
  },
  // The seeded leads have no account: the one row is '', which the filter cannot single out.
  { path: 'accounts', required: '', rules: true, window: true, filters: [] },
  { path: 'targets', required: '', rules: true, window: false, filters: ['team', 'owner'] },
];

interface Page {
  items: Record<string, unknown>[];
  total: number;
}

const url = (view: WalkedView, ...extra: string[]) =>
  `/analytics/${view.path}?${[view.required, 'limit=1000', ...extra]
    .filter((part) => part !== '')
    .join('&')}`;
const underDraft = () =>
  `rulesVersion=${draftSet.rulesVersion}&definitionHash=${draftSet.definitionHash}`;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'tandem-view-parameters-'));
  api = await startFunnelApi(join(dir, 'chdb'), { replayBatchLeads: 20 });
  http = api.app.getHttpServer() as App;
  for (const lead of scoredLeads(80, 14)) {
    await api.store.append(leadStreamId(lead.leadId), lead.events, {
      expectedRevision: 'no_stream',
    });
  }
  await post('/targets', {
    team: 'marketing',
    metric: 'mqls',
    period: '2025-10',
    value: 40,
    owner: null,
  }).expect(201);
  await post('/targets', {
    team: 'sales',
    metric: 'won_deals',
    period: '2025-10',
    value: 5,
    owner: 'bob',
  }).expect(201);
  await waitForProjection(http);
  active = await eventually(async () => {
    const { body } = await get('/ops/rules').expect(200);
    const sets = (body as { sets: (RuleSetRef & { status: string })[] }).sets;
    return sets.find((set) => set.rulesVersion === 1 && set.status === 'ready');
  }, 'version 1 ready');

  const replay = (await post('/ops/rules/replays', { draft }).expect(202)).body as { id: string };
  draftSet = await eventually(
    async () => {
      const view = (await get(`/ops/rules/replays/${replay.id}`).expect(200)).body as RuleSetRef & {
        status: string;
      };
      if (view.status === 'failed') throw new Error(`replay failed: ${JSON.stringify(view)}`);
      return view.status === 'done' ? view : undefined;
    },
    'the draft replay finishes',
    240_000,
  );
});

afterAll(async () => {
  await api?.close();
  await rm(dir, { recursive: true, force: true });
});

it('walks every declared view', () => {
  const declared = Object.values(declaredViews).map((declaration) => declaration.path);
  expect(walked.map((view) => view.path).sort()).toEqual(declared.sort());
});

describe.each(walked)('/analytics/$path', (view) => {
  it('names the active rule set by default and the asked set when asked', async () => {
    const byDefault = await get(url(view)).expect(200);
    expect(byDefault.headers['x-tandem-rules-version']).toBe(String(active.rulesVersion));
    expect(byDefault.headers['x-tandem-definition-hash']).toBe(active.definitionHash);

    const asked = await get(url(view, underDraft())).expect(200);
    expect(asked.headers['x-tandem-rules-version']).toBe(String(draftSet.rulesVersion));
    expect(asked.headers['x-tandem-definition-hash']).toBe(draftSet.definitionHash);
    // Naming a version alone reads its published set: the active one here.
    const byVersion = await get(url(view, `rulesVersion=${active.rulesVersion}`)).expect(200);
    expect(byVersion.headers['x-tandem-definition-hash']).toBe(active.definitionHash);
    expect(byVersion.body).toEqual(byDefault.body);
  });

  it(`answers ${view.rules ? 'differently' : 'the same'} under another rule set`, async () => {
    const base = (await get(url(view)).expect(200)).body as Page;
    const other = (await get(url(view, underDraft())).expect(200)).body as Page;
    expect(base.total).toBeGreaterThan(0);
    if (view.rules) expect(other).not.toEqual(base);
    else expect(other).toEqual(base);
  });

  it('counts only events up to asOf', async () => {
    // The seeded history starts on 2025-10-01; the day before, nothing has happened yet.
    const all = (await get(url(view)).expect(200)).body as Page;
    const before = `asOf=2025-09-30T00:00:00Z`;
    const early = (await get(url(view, before)).expect(200)).body as Page;
    expect(early).not.toEqual(all);
  });

  it('counts only the capture window, when it has one', async () => {
    const all = (await get(url(view)).expect(200)).body as Page;
    const windowed = await get(url(view, 'capturedTo=2025-10-02T00:00:00Z'));
    if (!view.window) {
      expect(windowed.status).toBe(400);
      return;
    }
    expect(windowed.status).toBe(200);
    expect(windowed.body).not.toEqual(all);
  });

  it('pages: limit and offset cut the same rows', async () => {
    const all = (await get(url(view)).expect(200)).body as Page;
    const page = (await get(`${url(view)}&limit=1&offset=1`.replace('limit=1000&', '')).expect(200))
      .body as Page;
    expect(page.total).toBe(all.total);
    expect(page.items).toEqual(all.items.slice(1, 2));
  });

  // A view without row filters rejects them: the 400s are analytics-api.int.spec.ts's.
  const filterCases = view.filters.map((name) => [name]);
  if (filterCases.length === 0) return;
  it.each(filterCases)('filters rows by %s, exactly', async (name) => {
    const all = (await get(url(view)).expect(200)).body as Page;
    const value = all.items.find((row) => row[name] !== '')?.[name];
    expect(typeof value).toBe('string');
    const filtered = (
      await get(url(view, `${name}=${encodeURIComponent(value as string)}`)).expect(200)
    ).body as Page;
    expect(filtered.total).toBeGreaterThan(0);
    expect(filtered.items.every((row) => row[name] === value)).toBe(true);
    expect(filtered.items).toEqual(all.items.filter((row) => row[name] === value));
  });
});
