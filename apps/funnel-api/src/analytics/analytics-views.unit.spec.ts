import type { MarketingLensRow, SalesPerformanceRow } from '@tandem/analytics';
import { declaredViews } from './analytics-view.declarations';
import { present, presentPage, reconciliationChecks, requestedPage } from './analytics-views';

/** Every view's presentation, as its declaration builds it, and the reconciliation's CSV. */
const views = {
  ...(Object.fromEntries(
    Object.entries(declaredViews).map(([name, view]) => [name, view.presentation]),
  ) as { [Name in keyof typeof declaredViews]: (typeof declaredViews)[Name]['presentation'] }),
  reconciliationChecks,
};

const lens = (channel: string, campaign: string, eur?: string): MarketingLensRow => ({
  channel,
  campaign,
  leads: 1,
  mqls: 1,
  handedToSales: 0,
  salesSourced: 0,
  accepted: 0,
  rejected: 0,
  sqls: 0,
  opportunities: 0,
  won: eur ? 1 : 0,
  lost: 0,
  wonRevenue: eur ? { EUR: eur } : {},
  pipeline: {},
  mqlRate: 1,
  sqlRate: null,
});

const rows = [lens('web', 'a', '10.50'), lens('web', 'b'), lens('fair', 'a', '3')];

describe('presentPage', () => {
  it('answers a page cut by the query exactly as present answers the same page', () => {
    for (const request of [{}, { offset: 1 }, { limit: 1, offset: 2 }, { offset: 9 }]) {
      const page = requestedPage(request);
      const cut = { items: rows.slice(page.offset, page.offset + page.limit), total: 3, ...page };
      const whole = present(views.accounts, rows as never[], request, 'json');
      expect(JSON.stringify(presentPage(cut))).toBe(JSON.stringify(whole));
    }
  });
});

describe('present', () => {
  it('keeps the original endpoints a bare filtered array without limit/offset', () => {
    expect(present(views.marketing, rows, {}, 'json')).toEqual({ kind: 'json', body: rows });
    expect(present(views.marketing, rows, { channel: 'web' }, 'json')).toEqual({
      kind: 'json',
      body: rows.slice(0, 2),
    });
  });

  it('pages the original endpoints when limit or offset is given', () => {
    expect(present(views.marketing, rows, { offset: 1 }, 'json').body).toEqual({
      items: rows.slice(1),
      total: 3,
      limit: 100,
      offset: 1,
    });
  });

  it('always pages the new views, filtering before counting', () => {
    const performance: SalesPerformanceRow[] = ['emea', 'dach', 'emea'].map((team, index) => ({
      team,
      owner: `owner-${index}`,
      handedToSales: 1,
      salesSourced: 0,
      accepted: 1,
      rejected: 0,
      medianResponseHours: 2,
      p90ResponseHours: 2,
      won: 0,
      lost: 0,
      winRate: null,
      medianCycleDays: null,
      p90CycleDays: null,
      lossReasons: {},
    }));
    expect(
      present(views.salesPerformance, performance, { team: 'emea', limit: 1 }, 'json'),
    ).toEqual({
      kind: 'json',
      body: { items: [performance[0]], total: 2, limit: 1, offset: 0 },
      page: { total: 2, limit: 1, offset: 0 },
    });
  });

  it('ignores filters a view has no column for (the schema refuses them first)', () => {
    const page = present(views.attribution, [], { owner: 'x' }, 'json');
    expect(page.body).toEqual({ items: [], total: 0, limit: 100, offset: 0 });
  });

  it('writes CSV pages whose header covers every matching row', () => {
    const csv = present(views.marketing, rows, { limit: 1, offset: 1 }, 'csv');
    expect(csv).toEqual({
      kind: 'csv',
      filename: 'tandem-marketing.csv',
      total: 3,
      page: { total: 3, limit: 1, offset: 1 },
      body:
        'channel,campaign,leads,mqls,handedToSales,salesSourced,accepted,rejected,sqls,opportunities,won,' +
        'lost,wonRevenue.EUR,mqlRate,sqlRate\r\n' +
        'web,b,1,1,0,0,0,0,0,0,0,0,,1,\r\n',
    });
  });

  it('lists every field of every view once', () => {
    for (const spec of Object.values(views)) {
      expect(new Set(spec.columns).size).toBe(spec.columns.length);
    }
  });

  it('treats every column as text in CSV unless it is declared numeric', () => {
    // A new column is text (neutralised) until someone decides it holds numbers.
    const text = Object.fromEntries(
      Object.entries(views).map(([name, spec]) => [
        name,
        spec.columns.filter((column) => !(spec.numeric as readonly string[]).includes(column)),
      ]),
    );
    expect(text).toEqual({
      funnel: ['path', 'stage', 'previousStage'],
      marketing: ['channel', 'campaign'],
      sales: ['owner'],
      attribution: ['channel', 'campaign'],
      alignment: ['channel', 'campaign'],
      timeInStage: ['path', 'fromStage', 'toStage'],
      cohorts: ['cohort'],
      trend: ['period', 'channel', 'campaign'],
      // Lead ids, dimensions and stage times: all text.
      leads: [
        'leadId',
        'channel',
        'campaign',
        'owner',
        'team',
        'path',
        'capturedAt',
        'mqlAt',
        'handedAt',
        'acceptedAt',
        'rejectedAt',
        'sqlAt',
        'opportunityAt',
        'wonAt',
        'lostAt',
      ],
      accounts: ['account'],
      salesPerformance: ['team', 'owner'],
      targets: ['team', 'metric', 'period', 'owner'],
      reconciliationChecks: ['metric', 'ok'],
    });
    for (const spec of Object.values(views)) {
      const columns: readonly string[] = spec.columns;
      expect(spec.numeric.every((column) => columns.includes(column))).toBe(true);
    }
  });

  it('neutralises formula-looking text in CSV and keeps negative money numeric', () => {
    const hostile = {
      ...lens('web', '=HYPERLINK("http://x")', '10'),
      wonRevenue: { EUR: '-12.5' },
    };
    expect(present(views.marketing, [hostile], {}, 'csv').body).toBe(
      'channel,campaign,leads,mqls,handedToSales,salesSourced,accepted,rejected,sqls,opportunities,won,' +
        'lost,wonRevenue.EUR,mqlRate,sqlRate\r\n' +
        'web,"\'=HYPERLINK(""http://x"")",1,1,0,0,0,0,0,0,1,0,-12.5,1,\r\n',
    );
  });
});
