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
import { z } from 'zod';
import type { App } from 'supertest/types';
import {
  type DeclaredView,
  declaredViews,
} from '../apps/funnel-api/src/analytics/analytics-view.declarations';
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
 * What the fixture history makes of each declared view; everything else the walk takes from
 * the declaration (its window, row filters, calendar parameters). `required`: the values its
 * required parameters take here. `rules: false` is a claim too: the sales lenses count
 * hand-offs and outcomes, which no rule decides, so another rule set must give the same rows.
 * `calendarProbe`: the query under which its calendar parameters must move the answer (the
 * seeded history spans a few days from Wednesday 1 October 2025: months and quarters move with
 * the time zone and the fiscal year, weeks cannot). `untestedFilters`: a declared filter the
 * history cannot single out, and why.
 */
interface Claim {
  readonly required: string;
  readonly rules: boolean;
  readonly calendarProbe?: string;
  readonly untestedFilters?: readonly string[];
}
const claims: Record<DeclaredView, Claim> = {
  funnel: { required: '', rules: true },
  timeInStage: { required: '', rules: true },
  cohorts: { required: 'grain=week', rules: true, calendarProbe: 'grain=month' },
  trend: { required: 'grain=week', rules: true, calendarProbe: 'grain=quarter' },
  // Who is an MQL is the rules' to say: a stricter draft lists fewer leads.
  leads: {
    required: 'stage=mql',
    rules: true,
    calendarProbe: 'stage=captured&grain=quarter&period=2025-10-01',
  },
  marketing: { required: '', rules: true },
  // Credit follows touches and deal amounts, which no rule decides (the linear model has no
  // milestone a rule could move); the headers must still name the set asked for.
  attribution: { required: 'model=linear', rules: false },
  sales: { required: '', rules: false },
  salesPerformance: { required: '', rules: false },
  // Without asOf, open hand-offs are judged against the request time: all of 2025 is past.
  alignment: { required: '', rules: true },
  // The seeded leads have no account: the one row is '', which the filter cannot single out.
  accounts: { required: '', rules: true, untestedFilters: ['account'] },
  targets: { required: '', rules: true, calendarProbe: '' },
};

interface WalkedView extends Claim {
  readonly path: string;
  readonly window: boolean;
  readonly filters: readonly string[];
  readonly calendar: readonly string[];
}
const walked: readonly WalkedView[] = (
  Object.entries(declaredViews) as [DeclaredView, (typeof declaredViews)[DeclaredView]][]
).map(([name, view]) => ({
  ...claims[name],
  path: view.path,
  window: view.parameters.window,
  filters: view.parameters.filters.filter(
    (filter) => !(claims[name].untestedFilters ?? []).includes(filter),
  ),
  calendar: view.parameters.calendar,
}));

/** A value of each calendar parameter that moves the seeded history's months and quarters. */
const movedCalendar: Readonly<Record<string, string>> = {
  // 1 October 00:00-10:00 UTC is still 30 September in Honolulu.
  timeZone: 'timeZone=Pacific%2FHonolulu',
  // A fiscal year from February: October is the last month of the quarter from August.
  fiscalStartMonth: 'fiscalStartMonth=2',
};
/** The rule set's own calendar (the shipped default), named explicitly. */
const defaultCalendar: Readonly<Record<string, string>> = {
  timeZone: 'timeZone=UTC',
  fiscalStartMonth: 'fiscalStartMonth=1',
};

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
  // A quarter target: the fiscal year decides which months it covers.
  await post('/targets', {
    team: 'marketing',
    metric: 'leads',
    period: '2025-Q4',
    value: 80,
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

it('documents each declared view as declared: its parameters, and its rows as JSON and CSV', async () => {
  const { paths } = (await get('/docs-json').expect(200)).body as {
    paths: Record<string, { get: DocumentedView }>;
  };
  for (const view of Object.values(declaredViews)) {
    const route = `/analytics/${view.path}`;
    const operation = paths[route]!.get;
    const accepted = Object.keys(
      (z.toJSONSchema(view.query, { io: 'input' }) as { properties: object }).properties,
    );
    expect({ route, parameters: operation.parameters.map(({ name }) => name).sort() }).toEqual({
      route,
      parameters: accepted.sort(),
    });
    const content = operation.responses['200']!.content;
    expect({ route, media: Object.keys(content).sort() }).toEqual({
      route,
      media: ['application/json', 'text/csv'],
    });
    // Paged always, or (the first four endpoints) the bare array unless paged.
    const json = content['application/json']!.schema;
    for (const shape of json.oneOf ?? [json]) {
      const row = shape.type === 'array' ? shape.items! : shape.properties!.items!.items!;
      expect({ route, properties: Object.keys(row.properties!) }).toEqual({
        route,
        properties: [...view.presentation.columns],
      });
    }
    expect(content['text/csv']!.schema.description).toContain(view.presentation.columns.join(', '));
  }
});

interface RowsSchema {
  type?: string;
  oneOf?: RowsSchema[];
  items?: RowsSchema;
  properties?: Record<string, RowsSchema>;
  description?: string;
}
interface DocumentedView {
  parameters: { name: string }[];
  responses: Record<string, { content: Record<string, { schema: RowsSchema }> }>;
}

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

  it(`moves its periods with ${view.calendar.join(' and ') || 'no calendar parameter'}`, async () => {
    const probe = (...extra: string[]) =>
      `/analytics/${view.path}?${[view.calendarProbe ?? view.required, 'limit=1000', ...extra]
        .filter((part) => part !== '')
        .join('&')}`;
    if (view.calendar.length === 0) {
      await get(probe(movedCalendar.timeZone!)).expect(400);
      return;
    }
    const base = (await get(probe()).expect(200)).body as Page;
    expect(base.total).toBeGreaterThan(0);
    for (const parameter of view.calendar) {
      const moved = (await get(probe(movedCalendar[parameter]!)).expect(200)).body as Page;
      expect({ parameter, moved: moved.items }).not.toEqual({ parameter, moved: base.items });
      // The runtime reads a zone name in any letter case and by its aliases, ClickHouse only
      // by its exact name: `pacific/honolulu` passed validation and was a 500 from ClickHouse.
      for (const spelling of parameter === 'timeZone'
        ? ['timeZone=pacific%2Fhonolulu', 'timeZone=US%2FHawaii']
        : []) {
        const same = (await get(probe(spelling)).expect(200)).body as Page;
        expect({ spelling, items: same.items }).toEqual({ spelling, items: moved.items });
      }
      // A zone ICU spells as its legacy link (Asia/Kolkata → Asia/Calcutta) is sent to
      // ClickHouse as named, in any case; either name is the same zone.
      if (parameter === 'timeZone') {
        const kolkata = (await get(probe('timeZone=Asia%2FKolkata')).expect(200)).body as Page;
        for (const spelling of ['timeZone=asia%2Fkolkata', 'timeZone=Asia%2FCalcutta']) {
          const same = (await get(probe(spelling)).expect(200)).body as Page;
          expect({ spelling, items: same.items }).toEqual({ spelling, items: kolkata.items });
        }
      }
      // ICU knows zones ClickHouse does not load (SystemV/AST4): that was a 500, not a 400.
      if (parameter === 'timeZone') {
        const refused = await get(probe('timeZone=SystemV%2FAST4')).expect(400);
        expect(refused.body).toMatchObject({
          code: 'invalid_request',
          errors: [expect.objectContaining({ in: 'query', field: 'timeZone' })],
        });
        // A link ICU resolves to a zone ClickHouse has is that zone.
        const losAngeles = (await get(probe('timeZone=America%2FLos_Angeles')).expect(200))
          .body as Page;
        const pacificNew = (await get(probe('timeZone=US%2FPacific-New')).expect(200)).body as Page;
        expect(pacificNew.items).toEqual(losAngeles.items);
      }
      // Naming the rule set's own calendar changes nothing.
      const named = (await get(probe(defaultCalendar[parameter]!)).expect(200)).body as Page;
      expect(named).toEqual(base);
    }
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

it('lists the leads behind a trend point: as many as the point counts', async () => {
  const trend = (await get('/analytics/funnel/trend?grain=week&limit=1000').expect(200))
    .body as Page;
  const points = trend.items.filter((row) => (row.mqls as number) > 0);
  expect(points.length).toBeGreaterThan(0);
  for (const point of points) {
    const behind = (
      await get(
        `/analytics/funnel/leads?stage=mql&grain=week&period=${point.period as string}` +
          `&channel=${point.channel as string}&campaign=${point.campaign as string}&limit=1000`,
      ).expect(200)
    ).body as Page;
    expect({ point, leads: behind.total }).toEqual({ point, leads: point.mqls });
  }
  await get('/analytics/funnel/leads?stage=mql&grain=week').expect(400);
});

it('the what-if report refuses a base hash without its version as a 400 naming it, not a 404', async () => {
  const answer = await get(
    `/analytics/rules/compare?candidateVersion=1&baseHash=${draftSet.definitionHash}`,
  ).expect(400);
  expect(answer.body).toMatchObject({
    code: 'invalid_request',
    errors: [{ in: 'query', field: 'baseHash', message: 'needs baseVersion' }],
  });
});

it('the what-if report spells a version as every URL does: 01 is a 400 naming it', async () => {
  const answer = await get('/analytics/rules/compare?baseVersion=01&candidateVersion=1').expect(
    400,
  );
  expect(answer.body).toMatchObject({
    code: 'invalid_request',
    errors: [
      {
        in: 'query',
        field: 'baseVersion',
        message: 'must be a whole number without leading zeros',
      },
    ],
  });
});
