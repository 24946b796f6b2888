/**
 * The funnel trend, capture cohorts and the leads behind a number (drill-down), given events →
 * expected rows on
 * embedded chDB. Every expected row is worked out by hand from the stories below, including the
 * reporting time zone: a lead captured on Sunday 23:30 UTC is already Monday in Europe/Rome, so
 * it belongs to the next week there; one captured on 31 January 23:30 UTC to February.
 */
import type { ClickHouseClient } from '@clickhouse/client';
import { defaultFunnelDefinition, type LeadEvent } from '@tandem/domain';
import { AnalyticsQueries, InvalidQueryParameterError } from './analytics.queries';
import type { FunnelReportStage, FunnelTrendRow } from './analytics.rows';
import type { RuleSet } from '../rules/rule-sets';
import { projectBatch } from '../projection/lead-events.writer';
import { useEmbeddedAnalytics } from '../testing/embedded-analytics.fixture';
import { createEventLog, leadEvent as e } from '../testing/event-log.fixture';
import { registerRuleSet } from '../testing/rule-sets.fixture';
import type { AnyEnvelope } from '../projection/lead-event.row';

const analytics = useEmbeddedAnalytics('funnel-trend-int');
let client: ClickHouseClient;
let queries: AnalyticsQueries;
/** Version 1 as shipped (no reporting section: UTC). */
let utc: RuleSet;
/** The same rules as version 1, reporting in Europe/Rome: only the calendar differs. */
let rome: RuleSet;

/**
 * A  paid_search/spring  captured Mon 6 Jan 10:00 → MQL 7 Jan → alice → accepted 8 Jan →
 *                        SQL 9 Jan → opportunity 5000 EUR Tue 14 Jan → won 5000 EUR Mon 3 Feb
 * B  webinar/launch      captured Sun 12 Jan 23:30 UTC (Mon 00:30 in Rome) → MQL, bob, rejected
 *                        on Mon 13 Jan
 * C  paid_search/spring  captured Fri 31 Jan 23:30 UTC (Sat 1 Feb 00:30 in Rome)
 */
function stories(): AnyEnvelope[] {
  const log = createEventLog();
  const times = new Map<string, string>();
  const at = (leadId: string, event: LeadEvent, time: string) =>
    times.set(log.lead(leadId, event).eventId, time);
  at('A', e.captured('paid_search', 'spring'), '2025-01-06T10:00:00.000Z');
  at('A', e.mql(), '2025-01-07T10:00:00.000Z');
  at('A', e.handed('alice'), '2025-01-07T11:00:00.000Z');
  at('A', e.accepted('alice'), '2025-01-08T09:00:00.000Z');
  at('A', e.sql(), '2025-01-09T09:00:00.000Z');
  at('A', e.opened('oA', 5000, 'EUR'), '2025-01-14T09:00:00.000Z');
  at('A', e.won('oA', 5000, 'EUR'), '2025-02-03T09:00:00.000Z');
  at('B', e.captured('webinar', 'launch'), '2025-01-12T23:30:00.000Z');
  at('B', e.mql(), '2025-01-13T09:00:00.000Z');
  at('B', e.handed('bob'), '2025-01-13T10:00:00.000Z');
  at('B', e.rejected('bob', 'no_budget'), '2025-01-13T12:00:00.000Z');
  at('C', e.captured('paid_search', 'spring'), '2025-01-31T23:30:00.000Z');
  return log.envelopes.map((envelope) => ({
    ...envelope,
    occurredAt: times.get(envelope.eventId) ?? envelope.occurredAt,
  }));
}

beforeAll(async () => {
  client = analytics.client();
  const database = await analytics.freshDatabase();
  rome = await registerRuleSet(client, database, {
    ...defaultFunnelDefinition,
    reporting: { timeZone: 'Europe/Rome' },
  });
  await projectBatch(client, stories(), { database });
  queries = new AnalyticsQueries(client, { reader: analytics.reader(), database });
  const shipped = (await queries.ruleSets()).find((set) => set.definition.reporting === undefined);
  if (shipped === undefined) throw new Error('the fresh database has the shipped rule set');
  utc = shipped;
});

/** A trend row: zeros and no money unless stated. */
const row = (
  period: string,
  channel: string,
  campaign: string,
  counts: Partial<Omit<FunnelTrendRow, 'period' | 'channel' | 'campaign'>>,
): FunnelTrendRow => ({
  period,
  channel,
  campaign,
  captured: 0,
  mqls: 0,
  handedToSales: 0,
  accepted: 0,
  rejected: 0,
  sqls: 0,
  opportunities: 0,
  won: 0,
  lost: 0,
  wonRevenue: {},
  pipelineCreated: {},
  ...counts,
});

const aUpToSql = { mqls: 1, handedToSales: 1, accepted: 1, sqls: 1 };
const bHandling = { mqls: 1, handedToSales: 1, rejected: 1 };

describe('funnel trend', () => {
  it('counts each stage in the week its moment fell in (UTC by default)', async () => {
    expect(await queries.funnelTrend('week', { rules: utc })).toEqual([
      row('2025-01-06', 'paid_search', 'spring', { captured: 1, ...aUpToSql }),
      row('2025-01-06', 'webinar', 'launch', { captured: 1 }),
      row('2025-01-13', 'paid_search', 'spring', {
        opportunities: 1,
        pipelineCreated: { EUR: '5000' },
      }),
      row('2025-01-13', 'webinar', 'launch', bHandling),
      row('2025-01-27', 'paid_search', 'spring', { captured: 1 }),
      row('2025-02-03', 'paid_search', 'spring', { won: 1, wonRevenue: { EUR: '5000' } }),
    ]);
  });

  it('moves a lead captured Sunday 23:30 UTC into the next week in Europe/Rome', async () => {
    expect(await queries.funnelTrend('week', { rules: rome })).toEqual([
      row('2025-01-06', 'paid_search', 'spring', { captured: 1, ...aUpToSql }),
      row('2025-01-13', 'paid_search', 'spring', {
        opportunities: 1,
        pipelineCreated: { EUR: '5000' },
      }),
      row('2025-01-13', 'webinar', 'launch', { captured: 1, ...bHandling }),
      row('2025-01-27', 'paid_search', 'spring', { captured: 1 }),
      row('2025-02-03', 'paid_search', 'spring', { won: 1, wonRevenue: { EUR: '5000' } }),
    ]);
  });

  it('groups by month, and 31 January 23:30 UTC is February in Europe/Rome', async () => {
    const january = {
      ...aUpToSql,
      opportunities: 1,
      pipelineCreated: { EUR: '5000' },
    };
    expect(await queries.funnelTrend('month', { rules: utc })).toEqual([
      row('2025-01-01', 'paid_search', 'spring', { captured: 2, ...january }),
      row('2025-01-01', 'webinar', 'launch', { captured: 1, ...bHandling }),
      row('2025-02-01', 'paid_search', 'spring', { won: 1, wonRevenue: { EUR: '5000' } }),
    ]);
    expect(await queries.funnelTrend('month', { rules: rome })).toEqual([
      row('2025-01-01', 'paid_search', 'spring', { captured: 1, ...january }),
      row('2025-01-01', 'webinar', 'launch', { captured: 1, ...bHandling }),
      row('2025-02-01', 'paid_search', 'spring', {
        captured: 1,
        won: 1,
        wonRevenue: { EUR: '5000' },
      }),
    ]);
  });

  it('keeps to the capture window and to asOf, like every view', async () => {
    // Only B was captured on 12 January; asOf 13 January 11:00 is before its rejection.
    expect(
      await queries.funnelTrend('week', {
        rules: utc,
        capturedFrom: '2025-01-12T00:00:00Z',
        capturedTo: '2025-01-13T00:00:00Z',
        asOf: '2025-01-13T11:00:00Z',
      }),
    ).toEqual([
      row('2025-01-06', 'webinar', 'launch', { captured: 1 }),
      row('2025-01-13', 'webinar', 'launch', { mqls: 1, handedToSales: 1 }),
    ]);
  });

  it('groups by fiscal quarter from the fiscal-year start month, in the reporting time zone', async () => {
    const quarters = async (options: Parameters<typeof queries.funnelTrend>[1]) =>
      (await queries.funnelTrend('quarter', options)).map((trend) => [
        trend.period,
        trend.channel,
        trend.captured,
        trend.won,
      ]);
    // Calendar quarters (January): everything is in Q1, which starts 1 January.
    expect(await quarters({ rules: utc })).toEqual([
      ['2025-01-01', 'paid_search', 2, 1],
      ['2025-01-01', 'webinar', 1, 0],
    ]);
    // Fiscal year from February: January is the last month of the quarter from 1 November;
    // A's win (3 February) falls in the quarter from 1 February, C (31 January 23:30 UTC) not.
    expect(await quarters({ rules: utc, calendar: { fiscalYearStartMonth: 2 } })).toEqual([
      ['2024-11-01', 'paid_search', 2, 0],
      ['2024-11-01', 'webinar', 1, 0],
      ['2025-02-01', 'paid_search', 0, 1],
    ]);
    // In Europe/Rome C was captured on 1 February: the request's calendar over the rule set's.
    const romeFromFebruary = [
      ['2024-11-01', 'paid_search', 1, 0],
      ['2024-11-01', 'webinar', 1, 0],
      ['2025-02-01', 'paid_search', 1, 1],
    ];
    expect(
      await quarters({
        rules: utc,
        calendar: { timeZone: 'Europe/Rome', fiscalYearStartMonth: 2 },
      }),
    ).toEqual(romeFromFebruary);
    expect(await quarters({ rules: rome, calendar: { fiscalYearStartMonth: 2 } })).toEqual(
      romeFromFebruary,
    );
  });

  it('refuses a grain that is not on the list', async () => {
    await expect(queries.funnelTrend('day' as 'week')).rejects.toBeInstanceOf(
      InvalidQueryParameterError,
    );
  });
});

describe('capture cohorts in the reporting time zone', () => {
  it('files the lead captured Sunday 23:30 UTC under the next week in Europe/Rome', async () => {
    const cohorts = async (grain: 'week' | 'month', rules: RuleSet) =>
      (await queries.funnelByCohort(grain, { rules })).map((row) => [row.cohort, row.captured]);
    expect(await cohorts('week', utc)).toEqual([
      ['2025-01-06', 2],
      ['2025-01-27', 1],
    ]);
    expect(await cohorts('week', rome)).toEqual([
      ['2025-01-06', 1],
      ['2025-01-13', 1],
      ['2025-01-27', 1],
    ]);
    expect(await cohorts('month', utc)).toEqual([['2025-01-01', 3]]);
    expect(await cohorts('month', rome)).toEqual([
      ['2025-01-01', 2],
      ['2025-02-01', 1],
    ]);
  });
});

describe('the leads behind a number', () => {
  const none = {
    mqlAt: null,
    handedAt: null,
    acceptedAt: null,
    rejectedAt: null,
    sqlAt: null,
    opportunityAt: null,
    wonAt: null,
    lostAt: null,
  };
  const leadA = {
    leadId: 'A',
    channel: 'paid_search',
    campaign: 'spring',
    owner: 'alice',
    team: 'emea',
    path: 'marketing',
    capturedAt: '2025-01-06T10:00:00.000Z',
    ...none,
    mqlAt: '2025-01-07T10:00:00.000Z',
    handedAt: '2025-01-07T11:00:00.000Z',
    acceptedAt: '2025-01-08T09:00:00.000Z',
    sqlAt: '2025-01-09T09:00:00.000Z',
    opportunityAt: '2025-01-14T09:00:00.000Z',
    wonAt: '2025-02-03T09:00:00.000Z',
  };
  const leadB = {
    leadId: 'B',
    channel: 'webinar',
    campaign: 'launch',
    owner: 'bob',
    team: 'emea',
    path: 'marketing',
    capturedAt: '2025-01-12T23:30:00.000Z',
    ...none,
    mqlAt: '2025-01-13T09:00:00.000Z',
    handedAt: '2025-01-13T10:00:00.000Z',
    rejectedAt: '2025-01-13T12:00:00.000Z',
  };
  const leadC = {
    leadId: 'C',
    channel: 'paid_search',
    campaign: 'spring',
    owner: '',
    team: '',
    path: 'marketing',
    capturedAt: '2025-01-31T23:30:00.000Z',
    ...none,
  };

  it.each<[FunnelReportStage, string[]]>([
    ['captured', ['A', 'B', 'C']],
    ['mql', ['A', 'B']],
    ['handed_to_sales', ['A', 'B']],
    ['rejected', ['B']],
    ['won', ['A']],
    ['lost', []],
  ])('lists the leads that reached %s, by capture time', async (stage, ids) => {
    expect((await queries.funnelLeads(stage)).map((lead) => lead.leadId)).toEqual(ids);
  });

  it('gives ids and stage dates, never a name or an e-mail', async () => {
    expect(await queries.funnelLeads('captured')).toEqual([leadA, leadB, leadC]);
  });

  it('keeps to the capture window and to asOf', async () => {
    expect(
      await queries.funnelLeads('handed_to_sales', {
        capturedFrom: '2025-01-12T00:00:00Z',
        asOf: '2025-01-13T11:00:00Z',
      }),
    ).toEqual([{ ...leadB, rejectedAt: null }]);
  });

  it('lists the leads behind a trend point: the stage reached in that period', async () => {
    const behind = async (
      stage: FunnelReportStage,
      grain: 'week' | 'month' | 'quarter',
      period: string,
      rules: RuleSet,
      calendar = {},
    ) =>
      (await queries.funnelLeads(stage, { rules, calendar }, { grain, period })).map(
        (lead) => lead.leadId,
      );
    // The trend's week of 13 January (UTC): B handled, A's opportunity; not A's capture.
    expect(await behind('rejected', 'week', '2025-01-13', utc)).toEqual(['B']);
    expect(await behind('opportunity', 'week', '2025-01-13', utc)).toEqual(['A']);
    expect(await behind('captured', 'week', '2025-01-13', utc)).toEqual([]);
    // B's capture is in the week of 13 January in Europe/Rome, as the trend files it.
    expect(await behind('captured', 'week', '2025-01-13', rome)).toEqual(['B']);
    expect(await behind('captured', 'month', '2025-02-01', rome)).toEqual(['C']);
    expect(await behind('won', 'quarter', '2025-02-01', utc, { fiscalYearStartMonth: 2 })).toEqual([
      'A',
    ]);
    // Each trend point's count is the length of its list.
    for (const point of await queries.funnelTrend('week', { rules: utc })) {
      const listed = await queries.funnelLeads(
        'captured',
        { rules: utc },
        { grain: 'week', period: point.period },
      );
      expect(
        listed.filter((lead) => lead.channel === point.channel && lead.campaign === point.campaign),
      ).toHaveLength(point.captured);
    }
  });

  it('refuses a stage that is not reported', async () => {
    await expect(queries.funnelLeads('nurturing' as 'mql')).rejects.toBeInstanceOf(
      InvalidQueryParameterError,
    );
  });

  it('pages the leads in the query: every page a slice of the filtered list, with its count', async () => {
    const all = await queries.funnelLeads('captured');
    const page = (limit: number, offset: number, match = {}) =>
      queries.funnelLeadsPage('captured', {}, undefined, { limit, offset }, match);
    for (const [limit, offset] of [
      [1, 0],
      [1, 1],
      [2, 1],
      [1, 2],
      [100, 0],
    ] as const) {
      expect(await page(limit, offset)).toEqual({
        rows: all.slice(offset, offset + limit),
        total: 3,
      });
    }
    // Past the end: no row, and still the count of every match.
    expect(await page(1, 3)).toEqual({ rows: [], total: 3 });
    expect(await page(10, 50)).toEqual({ rows: [], total: 3 });
    // Exact filters, '' included (C was never handed to sales); none matching counts 0.
    expect(await page(10, 0, { owner: '' })).toEqual({ rows: [leadC], total: 1 });
    expect(await page(1, 1, { channel: 'paid_search', campaign: 'spring' })).toEqual({
      rows: [leadC],
      total: 2,
    });
    expect(await page(10, 0, { channel: 'Paid_search' })).toEqual({ rows: [], total: 0 });
    expect(await page(10, 2, { channel: 'nope' })).toEqual({ rows: [], total: 0 });
    // A trend point pages the same way.
    expect(
      await queries.funnelLeadsPage(
        'captured',
        { rules: rome },
        { grain: 'month', period: '2025-02-01' },
        { limit: 5, offset: 0 },
      ),
    ).toEqual({ rows: [{ ...leadC }], total: 1 });
  });

  it('pages the account lens in the query', async () => {
    const all = await queries.accountLens();
    expect(await queries.accountLensPage({}, { limit: 10, offset: 0 })).toEqual({
      rows: all,
      total: all.length,
    });
    expect(await queries.accountLensPage({}, { limit: 10, offset: all.length })).toEqual({
      rows: [],
      total: all.length,
    });
    const first = all[0]!;
    expect(
      await queries.accountLensPage({}, { limit: 10, offset: 0 }, { account: first.account }),
    ).toEqual({ rows: [first], total: 1 });
  });

  it('refuses a page it cannot bind', async () => {
    for (const page of [
      { limit: 0, offset: 0 },
      { limit: 1.5, offset: 0 },
      { limit: 1, offset: -1 },
    ]) {
      await expect(queries.accountLensPage({}, page)).rejects.toBeInstanceOf(
        InvalidQueryParameterError,
      );
    }
  });
});

describe('targets in the reporting calendar', () => {
  /**
   * A target of 4 won deals for 2025-Q1 and three wins: X on 10 February, Y on 31 March 22:30
   * UTC (already 1 April in Europe/Rome, summer time), Z on 15 May.
   */
  let targets: AnalyticsQueries;
  const sets: Record<string, RuleSet> = {};
  beforeAll(async () => {
    const database = await analytics.freshDatabase();
    const definition = (reporting: { timeZone?: string; fiscalYearStartMonth?: number }) => ({
      ...defaultFunnelDefinition,
      reporting,
    });
    sets.aprilUtc = await registerRuleSet(
      client,
      database,
      definition({ fiscalYearStartMonth: 4 }),
    );
    sets.aprilRome = await registerRuleSet(
      client,
      database,
      definition({ fiscalYearStartMonth: 4, timeZone: 'Europe/Rome' }),
    );
    const log = createEventLog();
    const times = new Map<string, string>();
    const won = (leadId: string, time: string) => {
      times.set(log.lead(leadId, e.captured('web', 'spring')).eventId, '2025-01-02T09:00:00.000Z');
      times.set(log.lead(leadId, e.won(`o-${leadId}`, 100, 'EUR')).eventId, time);
    };
    won('X', '2025-02-10T09:00:00.000Z');
    won('Y', '2025-03-31T22:30:00.000Z');
    won('Z', '2025-05-15T09:00:00.000Z');
    log.planning('targets', {
      type: 'TargetSet',
      data: { team: 'sales', metric: 'won_deals', period: '2025-Q1', value: 4, owner: null },
    });
    await projectBatch(
      client,
      log.envelopes.map((envelope) => ({
        ...envelope,
        occurredAt: times.get(envelope.eventId) ?? envelope.occurredAt,
      })),
      { database },
    );
    targets = new AnalyticsQueries(client, { reader: analytics.reader(), database });
    const shipped = (await targets.ruleSets()).find(
      (set) => set.definition.reporting === undefined,
    );
    if (shipped === undefined) throw new Error('the fresh database has the shipped rule set');
    sets.calendar = shipped;
  });

  it.each([
    // Calendar Q1 in UTC: January-March holds X and Y.
    ['calendar', 2, 0.5],
    // Fiscal Q1 from April, UTC: April-June holds Z; Y is still 31 March.
    ['aprilUtc', 1, 0.25],
    // Fiscal Q1 from April, Europe/Rome: Y won on 1 April local time, with Z.
    ['aprilRome', 2, 0.5],
  ])('counts 2025-Q1 under the %s calendar: %i won deals', async (name, count, progress) => {
    const [row] = await targets.targetsProgress({ rules: sets[name] as RuleSet });
    expect(row).toMatchObject({ period: '2025-Q1', actualCount: count, progress });
  });
});

describe('periods before 1970 (business time reaches back to 1900)', () => {
  let old: AnalyticsQueries;
  let shipped: RuleSet;

  /**
   * D  captured Mon 15 Jan 1900 10:00 UTC
   * E  captured Wed 31 Dec 1969 10:00 UTC (week of Mon 29 Dec) → MQL the same day
   * F  captured Mon 5 Jan 1970 10:00 UTC
   */
  beforeAll(async () => {
    const database = await analytics.freshDatabase();
    const log = createEventLog();
    const times = new Map<string, string>();
    const at = (leadId: string, event: LeadEvent, time: string) =>
      times.set(log.lead(leadId, event).eventId, time);
    at('D', e.captured('fair', 'centennial'), '1900-01-15T10:00:00.000Z');
    at('E', e.captured('fair', 'centennial'), '1969-12-31T10:00:00.000Z');
    at('E', e.mql(), '1969-12-31T11:00:00.000Z');
    at('F', e.captured('fair', 'centennial'), '1970-01-05T10:00:00.000Z');
    const envelopes = log.envelopes.map((envelope) => ({
      ...envelope,
      occurredAt: times.get(envelope.eventId) ?? envelope.occurredAt,
    }));
    await projectBatch(client, envelopes, { database });
    old = new AnalyticsQueries(client, { reader: analytics.reader(), database });
    const set = (await old.ruleSets()).find((rules) => rules.definition.reporting === undefined);
    if (set === undefined) throw new Error('the fresh database has the shipped rule set');
    shipped = set;
  });

  it('files each capture under its own cohort, not under January 1970', async () => {
    const cohorts = async (grain: 'week' | 'month') =>
      (await old.funnelByCohort(grain, { rules: shipped })).map((row) => [
        row.cohort,
        row.captured,
      ]);
    expect(await cohorts('month')).toEqual([
      ['1900-01-01', 1],
      ['1969-12-01', 1],
      ['1970-01-01', 1],
    ]);
    expect(await cohorts('week')).toEqual([
      ['1900-01-15', 1],
      ['1969-12-29', 1],
      ['1970-01-05', 1],
    ]);
  });

  it('puts each trend point in its own period, and lists the leads behind it', async () => {
    expect(
      (await old.funnelTrend('month', { rules: shipped })).map((row) => [
        row.period,
        row.captured,
        row.mqls,
      ]),
    ).toEqual([
      ['1900-01-01', 1, 0],
      ['1969-12-01', 1, 1],
      ['1970-01-01', 1, 0],
    ]);
    expect(
      (
        await old.funnelLeads('mql', { rules: shipped }, { grain: 'month', period: '1969-12-01' })
      ).map((lead) => lead.leadId),
    ).toEqual(['E']);
  });
});
