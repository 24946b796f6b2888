/**
 * The planning facts (campaign_spend, targets), marketing attribution with spend and ROI, and
 * the alignment view, on embedded chDB, against numbers worked out BY HAND below (not by
 * running the SQL). chDB as useEmbeddedAnalytics sets it up: one data directory for this file,
 * every test its own database.
 */
import type { ClickHouseClient } from '@clickhouse/client';
import type { LeadEvent } from '@tandem/domain';
import { AnalyticsQueries, InvalidQueryParameterError } from './analytics.queries';
import type {
  AlignmentRow,
  AttributionModel,
  CohortGrain,
  MarketingAttributionRow,
} from './analytics.rows';
import type { AnyEnvelope } from '../projection/lead-event.row';
import { projectBatch } from '../projection/lead-events.writer';
import { useEmbeddedAnalytics } from '../testing/embedded-analytics.fixture';
import { createEventLog, leadEvent as e, type EventLog } from '../testing/event-log.fixture';

const analytics = useEmbeddedAnalytics('analytics-views-int');
const freshDatabase = analytics.freshDatabase;
let client: ClickHouseClient;
beforeAll(() => {
  client = analytics.client();
});

async function rows(database: string, query: string): Promise<unknown> {
  const result = await client.query({
    query,
    query_params: { db: database },
    format: 'JSONEachRow',
  });
  return result.json();
}

/** Envelopes with some business times moved (by event id), everything else as recorded. */
const withTimes = (log: EventLog, times: ReadonlyMap<string, string>): AnyEnvelope[] =>
  log.envelopes.map((envelope) => {
    const occurredAt = times.get(envelope.eventId);
    return occurredAt === undefined ? envelope : { ...envelope, occurredAt };
  });

const touch = (touchpointId: string, channel: string, campaign: string | null): LeadEvent => ({
  type: 'TouchpointRecorded',
  data: { touchpointId, kind: 'webinar', channel, campaign, content: null },
});

const handedDue = (owner: string, slaDueAt: string): LeadEvent => ({
  type: 'LeadHandedToSales',
  data: { owner, team: 'emea', slaDueAt, rulesVersion: 1 },
});

const spend = (channel: string, campaign: string, amount: number, currency: string) =>
  ({
    type: 'CampaignSpendRecorded',
    data: { campaign, channel, amount, currency, spentOn: '2025-01-05' },
  }) as const;

describe('planning facts', () => {
  it('keeps one spend row per event and the latest target per key, under redelivery and reordering', async () => {
    const database = await freshDatabase();
    const log = createEventLog();
    log.planning('campaign-spring', spend('paid_search', 'spring', 1500, 'EUR'));
    log.planning('campaign-spring', spend('paid_search', 'spring', 400.25, 'EUR'));
    log.planning('campaign-nurture', spend('email', 'nurture', 200, 'USD'));
    const target = (value: number, owner: string | null) =>
      ({
        type: 'TargetSet',
        data: { team: 'sales', metric: 'won_deals', period: '2025-Q1', value, owner },
      }) as const;
    log.planning('targets', target(10, null));
    log.planning('targets', target(12, null)); // replaces 10: later in the log
    log.planning('targets', target(4, 'bob'));

    // Newest first, then everything again: order and redelivery must not matter.
    const outcome = await projectBatch(client, [...log.envelopes].reverse(), { database });
    await projectBatch(client, log.envelopes, { database });

    expect(outcome).toMatchObject({ projected: 0, planning: 6, skipped: 0, invalid: [] });
    expect(
      await rows(
        database,
        `SELECT channel, campaign, currency, toString(sum(amount)) AS spend, count() AS events
         FROM {db:Identifier}.campaign_spend FINAL GROUP BY channel, campaign, currency
         ORDER BY channel, campaign, currency`,
      ),
    ).toEqual([
      { channel: 'email', campaign: 'nurture', currency: 'USD', spend: '200', events: 1 },
      { channel: 'paid_search', campaign: 'spring', currency: 'EUR', spend: '1900.25', events: 2 },
    ]);
    expect(
      await rows(
        database,
        `SELECT team, metric, period, owner, toString(period_start) AS start,
                toString(period_end) AS end, toString(value) AS value
         FROM {db:Identifier}.targets FINAL ORDER BY team, metric, period, owner`,
      ),
    ).toEqual([
      {
        team: 'sales',
        metric: 'won_deals',
        period: '2025-Q1',
        owner: '',
        start: '2025-01-01',
        end: '2025-04-01',
        value: '12',
      },
      {
        team: 'sales',
        metric: 'won_deals',
        period: '2025-Q1',
        owner: 'bob',
        start: '2025-01-01',
        end: '2025-04-01',
        value: '4',
      },
    ]);
  });
});

/**
 * Attribution scenario. Touch paths (in occurredAt order, ties by position):
 *   A1 won 1000.01 EUR  [paid_search/spring, webinar/launch, email/nurture, events/expo]
 *                       MQL after the 3rd touch -> W-shaped key touch = email/nurture
 *   A2 won 100 EUR      [webinar/launch, paid_search/spring, email/'']        never MQL
 *   A3 open opp 900 EUR [paid_search/spring]
 *   A4 won 50 USD       [events/expo (a day BEFORE the capture), email/nurture (capture),
 *                        paid_search/spring (same time as the capture, later position)]
 * Spend: paid_search/spring 1500 + 400 EUR, email/nurture 200 USD, social/retarget 300 EUR.
 *
 * Shares per lead, in units of 0.0001 (remainder to the first touches). Milestones (ADR 0012):
 * FT first touch, LC the capture, OC last touch before the opportunity, CW last before the win.
 *   A1 10000100, FT = LC = 1, OC = CW = 4: linear 2500025 x4;
 *      u: window 1..LC = [1] -> 1000.01 to paid_search;
 *      w: [60x2, 10, 10, 30x2] /200 -> 600.006, 50.0005, 50.0005, 300.003;
 *      full: [45x2, 10, 10, 45x2] /200 -> 450.0045, 50.0005, 50.0005, 450.0045
 *   A2 1000000, FT = LC = 1, OC = CW = 3: linear 33.3334, 33.3333, 33.3333; u: 100 to webinar;
 *      w: [60, 10, 30] -> 60, 10, 30; full: [45, 10, 45] -> 45, 10, 45
 *   A4 500000, FT = 1 (expo, a day early), LC = 2, OC = CW = 3 (the tie after the capture):
 *      linear 16.6667, 16.6667, 16.6666; u: [40, 40] -> 25, 25;
 *      w: [30, 30, 30] -> 16.6667, 16.6667, 16.6666; full: [22.5, 22.5, 45] -> 12.5, 12.5, 25
 */
function attributionScenario(): AnyEnvelope[] {
  const log = createEventLog();
  log.planning('campaign-spring', spend('paid_search', 'spring', 1500, 'EUR'));
  log.planning('campaign-spring', spend('paid_search', 'spring', 400, 'EUR'));
  log.planning('campaign-nurture', spend('email', 'nurture', 200, 'USD'));
  log.planning('campaign-retarget', spend('social', 'retarget', 300, 'EUR'));

  log.lead('A1', e.captured('paid_search', 'spring'));
  log.lead('A1', touch('t1', 'webinar', 'launch'));
  log.lead('A1', touch('t2', 'email', 'nurture'));
  log.lead('A1', e.mql());
  log.lead('A1', touch('t3', 'events', 'expo'));
  log.lead('A1', e.handed('alice'));
  log.lead('A1', e.accepted('alice'));
  log.lead('A1', e.sql());
  log.lead('A1', e.opened('o1', 1000, 'EUR'));
  log.lead('A1', e.won('o1', 1000.01, 'EUR'));

  log.lead('A2', e.captured('webinar', 'launch'));
  log.lead('A2', touch('t4', 'paid_search', 'spring'));
  log.lead('A2', touch('t5', 'email', null));
  log.lead('A2', e.opened('o2', 100, 'EUR'));
  log.lead('A2', e.won('o2', 100, 'EUR'));

  log.lead('A3', e.captured('paid_search', 'spring'));
  log.lead('A3', e.opened('o3', 900, 'EUR'));

  const captured = log.lead('A4', e.captured('email', 'nurture'));
  const early = log.lead('A4', touch('t6', 'events', 'expo'));
  const tie = log.lead('A4', touch('t7', 'paid_search', 'spring'));
  log.lead('A4', e.opened('o4', 50, 'USD'));
  log.lead('A4', e.won('o4', 50, 'USD'));

  const dayBefore = new Date(Date.parse(captured.occurredAt) - 86_400_000).toISOString();
  return withTimes(
    log,
    new Map([
      [early.eventId, dayBefore],
      [tie.eventId, captured.occurredAt],
    ]),
  );
}

const row = (
  channel: string,
  campaign: string,
  leadsTouched: number,
  wonRevenue: Record<string, string>,
  extra: Partial<MarketingAttributionRow> = {},
): MarketingAttributionRow => ({
  channel,
  campaign,
  leadsTouched,
  wonRevenue,
  pipeline: {},
  spend: {},
  roi: {},
  ...extra,
});

/** Rows every model shares apart from revenue and ROI. */
function expectedAttribution(
  won: Record<string, Record<string, string>>,
  roi: { spring: number; nurture: number },
): MarketingAttributionRow[] {
  const revenue = (key: string) => won[key] ?? {};
  return [
    row('email', '', 1, revenue('email/')),
    row('email', 'nurture', 2, revenue('email/nurture'), {
      spend: { USD: '200' },
      roi: { USD: roi.nurture },
    }),
    row('events', 'expo', 2, revenue('events/expo')),
    row('paid_search', 'spring', 4, revenue('paid_search/spring'), {
      pipeline: { EUR: '900' },
      spend: { EUR: '1900' },
      roi: { EUR: roi.spring },
    }),
    row('social', 'retarget', 0, {}, { spend: { EUR: '300' }, roi: { EUR: 0 } }),
    row('webinar', 'launch', 2, revenue('webinar/launch')),
  ];
}

// time_decay is worked out by hand in marketing-attribution.int.spec.ts (it needs chosen times).
const expectedByModel: Record<
  Exclude<AttributionModel, 'time_decay'>,
  MarketingAttributionRow[]
> = {
  // 1000.01 / 1900 = 0.52632 ; nothing for nurture
  first_touch: expectedAttribution(
    {
      'events/expo': { USD: '50' },
      'paid_search/spring': { EUR: '1000.01' },
      'webinar/launch': { EUR: '100' },
    },
    { spring: 0.5263, nurture: 0 },
  ),
  last_touch: expectedAttribution(
    {
      'email/': { EUR: '100' },
      'events/expo': { EUR: '1000.01' },
      'paid_search/spring': { USD: '50' },
    },
    { spring: 0, nurture: 0 },
  ),
  // spring EUR 250.0025 + 33.3333 = 283.3358 (/1900 = 0.14912); nurture USD 16.6667 / 200
  linear: expectedAttribution(
    {
      'email/': { EUR: '33.3333' },
      'email/nurture': { EUR: '250.0025', USD: '16.6667' },
      'events/expo': { EUR: '250.0025', USD: '16.6667' },
      'paid_search/spring': { EUR: '283.3358', USD: '16.6666' },
      'webinar/launch': { EUR: '283.3359' },
    },
    { spring: 0.1491, nurture: 0.0833 },
  ),
  // nurture USD 25 / 200; spring EUR 1000.01 / 1900
  u_shaped: expectedAttribution(
    {
      'email/nurture': { USD: '25' },
      'events/expo': { USD: '25' },
      'paid_search/spring': { EUR: '1000.01' },
      'webinar/launch': { EUR: '100' },
    },
    { spring: 0.5263, nurture: 0.125 },
  ),
  // spring EUR 600.006 + 10 = 610.006 (/1900 = 0.32105); nurture USD 16.6667 / 200
  w_shaped: expectedAttribution(
    {
      'email/': { EUR: '30' },
      'email/nurture': { EUR: '50.0005', USD: '16.6667' },
      'events/expo': { EUR: '300.003', USD: '16.6667' },
      'paid_search/spring': { EUR: '610.006', USD: '16.6666' },
      'webinar/launch': { EUR: '110.0005' },
    },
    { spring: 0.3211, nurture: 0.0833 },
  ),
  // spring EUR 450.0045 + 10 = 460.0045 (/1900 = 0.24211); nurture USD 12.5 / 200
  full_path: expectedAttribution(
    {
      'email/': { EUR: '45' },
      'email/nurture': { EUR: '50.0005', USD: '12.5' },
      'events/expo': { EUR: '450.0045', USD: '12.5' },
      'paid_search/spring': { EUR: '460.0045', USD: '25' },
      'webinar/launch': { EUR: '95.0005' },
    },
    { spring: 0.2421, nurture: 0.0625 },
  ),
};

describe('marketing attribution', () => {
  let queries: AnalyticsQueries;
  beforeAll(async () => {
    const database = await freshDatabase();
    const envelopes = attributionScenario();
    await projectBatch(client, envelopes, { database });
    await projectBatch(client, envelopes, { database }); // redelivered: nothing may double
    queries = new AnalyticsQueries(client, { reader: analytics.reader(), database });
  });

  it.each(Object.keys(expectedByModel) as (keyof typeof expectedByModel)[])(
    'credits revenue, pipeline, spend and ROI under %s',
    async (model) => {
      expect(await queries.marketingAttribution(model)).toEqual(expectedByModel[model]);
    },
  );

  it('refuses a model that is not on the list, before any SQL runs', async () => {
    await expect(queries.marketingAttribution('markov' as AttributionModel)).rejects.toBeInstanceOf(
      InvalidQueryParameterError,
    );
  });

  it('is byte-identical on repeat', async () => {
    const first = JSON.stringify(await queries.marketingAttribution('w_shaped'));
    expect(JSON.stringify(await queries.marketingAttribution('w_shaped'))).toBe(first);
  });
});

/**
 * Alignment scenario (fixture times are 2025-01-06; default slaDueAt 2025-01-10T09:00Z):
 *   S1 paid_search/spring  handed, accepted on time                       accepted_in_sla
 *   S2 paid_search/spring  handed, rejected (no_budget) on time           rejected_in_sla
 *   S3 paid_search/spring  handed, accepted 2025-01-11                    responded_late
 *   S4 paid_search/spring  handed, nothing                                open_past_due @01-20
 *   S5 webinar/launch      handed (due 2025-02-01), nothing               open_in_sla
 *   S6 webinar/launch      handed, rejected (bad_fit) on time, recycled, handed again,
 *                          nothing since                                  open_past_due @01-20
 *   S7 webinar/launch      handed, rejected (bad_fit) 2025-01-12          responded_late
 *   S8 webinar/launch      captured only                                  (not handed)
 *   S9 organic/(none)      handed, accepted, recycled, handed, accepted   accepted_in_sla
 */
function alignmentScenario(): AnyEnvelope[] {
  const log = createEventLog();
  for (const id of ['S1', 'S2', 'S3', 'S4']) {
    log.lead(id, e.captured('paid_search', 'spring'));
    log.lead(id, e.mql());
  }
  log.lead('S1', e.handed('alice'));
  log.lead('S1', e.accepted('alice'));
  log.lead('S2', e.handed('bob'));
  log.lead('S2', e.rejected('bob', 'no_budget'));
  log.lead('S3', e.handed('bob'));
  const late = log.lead('S3', e.accepted('bob'));
  log.lead('S4', e.handed('alice'));

  for (const id of ['S5', 'S6', 'S7', 'S8']) log.lead(id, e.captured('webinar', 'launch'));
  log.lead('S5', handedDue('alice', '2025-02-01T00:00:00.000Z'));
  log.lead('S6', e.handed('alice'));
  log.lead('S6', e.rejected('alice', 'bad_fit'));
  log.lead('S6', e.recycled('rejected'));
  log.lead('S6', e.handed('bob'));
  log.lead('S7', e.handed('bob'));
  const lateReject = log.lead('S7', e.rejected('bob', 'bad_fit'));

  log.lead('S9', e.captured('organic', null));
  log.lead('S9', e.handed('alice'));
  log.lead('S9', e.accepted('alice'));
  log.lead('S9', e.recycled('accepted'));
  log.lead('S9', e.handed('alice'));
  log.lead('S9', e.accepted('alice'));
  return withTimes(
    log,
    new Map([
      [late.eventId, '2025-01-11T00:00:00.000Z'],
      [lateReject.eventId, '2025-01-12T00:00:00.000Z'],
    ]),
  );
}

describe('alignment', () => {
  let queries: AnalyticsQueries;
  beforeAll(async () => {
    const database = await freshDatabase();
    await projectBatch(client, alignmentScenario(), { database });
    queries = new AnalyticsQueries(client, { reader: analytics.reader(), database });
  });

  it('shows SLA compliance, leakage, recycle rate and rejection reasons per source', async () => {
    const expected: AlignmentRow[] = [
      {
        channel: 'organic',
        campaign: '',
        handedToSales: 1,
        salesSourced: 0,
        acceptedInSla: 1,
        rejectedInSla: 0,
        respondedLate: 0,
        openPastDue: 0,
        openInSla: 0,
        leaked: 0,
        slaCompliance: 1,
        recycled: 1,
        recycleRate: 1,
        rejectionReasons: {},
      },
      {
        channel: 'paid_search',
        campaign: 'spring',
        handedToSales: 4,
        salesSourced: 0,
        acceptedInSla: 1,
        rejectedInSla: 1,
        respondedLate: 1,
        openPastDue: 1,
        openInSla: 0,
        leaked: 2,
        slaCompliance: 0.5, // 2 on time / 4 decided
        recycled: 0,
        recycleRate: 0,
        rejectionReasons: { no_budget: 1 },
      },
      {
        channel: 'webinar',
        campaign: 'launch',
        handedToSales: 3,
        salesSourced: 0,
        acceptedInSla: 0,
        rejectedInSla: 0,
        respondedLate: 1,
        openPastDue: 1,
        openInSla: 1,
        leaked: 2,
        slaCompliance: 0, // 0 on time / (3 - 1 still in SLA)
        recycled: 1,
        recycleRate: 0.3333,
        rejectionReasons: { bad_fit: 2 },
      },
    ];
    expect(await queries.alignment({ asOf: '2025-01-20T00:00:00Z' })).toEqual(expected);
  });

  it('does not count an open hand-off as leaked before its SLA is due', async () => {
    const before = await queries.alignment({ asOf: '2025-01-09T00:00:00Z' });
    expect(
      before.map(({ channel, openPastDue, openInSla, leaked, slaCompliance }) => ({
        channel,
        openPastDue,
        openInSla,
        leaked,
        slaCompliance,
      })),
    ).toEqual([
      { channel: 'organic', openPastDue: 0, openInSla: 0, leaked: 0, slaCompliance: 1 },
      // As of Jan 9 the late answers (S3 on Jan 11, S7 on Jan 12) have not happened yet: S3 and
      // S4 are open and due Jan 10; S1 and S2 were answered in time: 2 / (4 - 2) = 1.
      { channel: 'paid_search', openPastDue: 0, openInSla: 2, leaked: 0, slaCompliance: 1 },
      // S5, S6 (handed again) and S7 are all open and in SLA: nothing decided yet, no rate.
      { channel: 'webinar', openPastDue: 0, openInSla: 3, leaked: 0, slaCompliance: null },
    ]);
  });

  it('refuses an asOf without a zone', async () => {
    await expect(queries.alignment({ asOf: '2025-01-20 00:00' })).rejects.toBeInstanceOf(
      InvalidQueryParameterError,
    );
  });
});

/**
 * Funnel timing scenario, every business time set by hand (hours between stages in brackets):
 *   T1 captured Mon 2025-01-06 00:00, mql [2], handed [1], accepted [4], sql [24], opp [24],
 *      won 5000 EUR [240]
 *   T2 captured Mon 2025-01-13 00:00, mql [4], handed [1], rejected [1]
 *   T3 captured Mon 2025-02-03 00:00, mql [10], handed [2], accepted [2], sql [24], opp [12],
 *      lost [120]
 *   T4 captured Wed 2025-02-05 00:00, nothing else
 * Accounts: T1, T3 acme; T2 globex; T4 none. Owners (team emea): T1 alice; T2, T3 bob.
 * T1 wins 2025-01-18 07:00 (6 + 24 + 24 + 240 h after capture... = Jan), T3's opportunity opens
 * 2025-02-05 02:00 (Feb). Targets: marketing mqls 2025-01 = 4; sales won_deals 2025-Q1 = 2;
 * sales won_revenue 2025-Q1 alice = 10000; sales opportunities 2025-02 bob = 1.
 */
function timingScenario(): AnyEnvelope[] {
  const log = createEventLog();
  const times = new Map<string, string>();
  const story = (
    leadId: string,
    start: string,
    steps: readonly [LeadEvent, number][],
    accountId?: string,
  ) => {
    let at = Date.parse(start);
    for (const [event, hours] of steps) {
      at += hours * 3_600_000;
      const options = accountId === undefined ? {} : { accountId };
      times.set(log.lead(leadId, event, options).eventId, new Date(at).toISOString());
    }
  };
  story(
    'T1',
    '2025-01-06T00:00:00Z',
    [
      [e.captured('paid_search', 'spring'), 0],
      [e.mql(), 2],
      [e.handed('alice'), 1],
      [e.accepted('alice'), 4],
      [e.sql(), 24],
      [e.opened('o1', 5000, 'EUR'), 24],
      [e.won('o1', 5000, 'EUR'), 240],
    ],
    'acme',
  );
  story(
    'T2',
    '2025-01-13T00:00:00Z',
    [
      [e.captured('webinar', 'launch'), 0],
      [e.mql(), 4],
      [e.handed('bob'), 1],
      [e.rejected('bob', 'no_budget'), 1],
    ],
    'globex',
  );
  story(
    'T3',
    '2025-02-03T00:00:00Z',
    [
      [e.captured('webinar', 'launch'), 0],
      [e.mql(), 10],
      [e.handed('bob'), 2],
      [e.accepted('bob'), 2],
      [e.sql(), 24],
      [e.opened('o3', 700, 'EUR'), 12],
      [e.lost('o3', 'price'), 120],
    ],
    'acme',
  );
  story('T4', '2025-02-05T00:00:00Z', [[e.captured('organic', null), 0]]);
  const target = (
    team: 'marketing' | 'sales',
    metric: 'mqls' | 'won_deals' | 'won_revenue' | 'opportunities',
    period: string,
    value: number,
    owner: string | null,
  ) => ({ type: 'TargetSet', data: { team, metric, period, value, owner } }) as const;
  log.planning('targets', target('marketing', 'mqls', '2025-01', 4, null));
  log.planning('targets', target('sales', 'won_deals', '2025-Q1', 2, null));
  log.planning('targets', target('sales', 'won_revenue', '2025-Q1', 10000, 'alice'));
  log.planning('targets', target('sales', 'opportunities', '2025-02', 1, 'bob'));
  return withTimes(log, times);
}

describe('funnel timing and cohorts', () => {
  let queries: AnalyticsQueries;
  beforeAll(async () => {
    const database = await freshDatabase();
    await projectBatch(client, timingScenario(), { database });
    queries = new AnalyticsQueries(client, { reader: analytics.reader(), database });
  });

  it('gives median and p90 hours per stage transition (PERCENTILE.INC interpolation)', async () => {
    expect(await queries.funnelTimeInStage()).toEqual([
      // [2, 4, 10]: median 4; p90 at rank 1.8 -> 4 + 0.8 * (10 - 4) = 8.8
      {
        path: 'marketing',
        position: 1,
        fromStage: 'captured',
        toStage: 'mql',
        leads: 3,
        medianHours: 4,
        p90Hours: 8.8,
      },
      // [1, 1, 2]: median 1; p90 -> 1 + 0.8 * 1 = 1.8
      {
        path: 'marketing',
        position: 2,
        fromStage: 'mql',
        toStage: 'handed_to_sales',
        leads: 3,
        medianHours: 1,
        p90Hours: 1.8,
      },
      // [2, 4]: median 3; p90 -> 2 + 0.9 * 2 = 3.8
      {
        path: 'marketing',
        position: 3,
        fromStage: 'handed_to_sales',
        toStage: 'accepted',
        leads: 2,
        medianHours: 3,
        p90Hours: 3.8,
      },
      {
        path: 'marketing',
        position: 4,
        fromStage: 'handed_to_sales',
        toStage: 'rejected',
        leads: 1,
        medianHours: 1,
        p90Hours: 1,
      },
      {
        path: 'marketing',
        position: 5,
        fromStage: 'accepted',
        toStage: 'sql',
        leads: 2,
        medianHours: 24,
        p90Hours: 24,
      },
      // [12, 24]: median 18; p90 -> 12 + 0.9 * 12 = 22.8
      {
        path: 'marketing',
        position: 6,
        fromStage: 'sql',
        toStage: 'opportunity',
        leads: 2,
        medianHours: 18,
        p90Hours: 22.8,
      },
      {
        path: 'marketing',
        position: 7,
        fromStage: 'opportunity',
        toStage: 'won',
        leads: 1,
        medianHours: 240,
        p90Hours: 240,
      },
      {
        path: 'marketing',
        position: 8,
        fromStage: 'opportunity',
        toStage: 'lost',
        leads: 1,
        medianHours: 120,
        p90Hours: 120,
      },
      // No lead of this scenario entered sales directly: the sales-sourced steps are empty.
      ...(
        [
          [2, 'captured', 'handed_to_sales'],
          [3, 'handed_to_sales', 'accepted'],
          [4, 'handed_to_sales', 'rejected'],
          [5, 'accepted', 'sql'],
          [6, 'sql', 'opportunity'],
          [7, 'opportunity', 'won'],
          [8, 'opportunity', 'lost'],
        ] as const
      ).map(([position, fromStage, toStage]) => ({
        path: 'sales_sourced',
        position,
        fromStage,
        toStage,
        leads: 0,
        medianHours: null,
        p90Hours: null,
      })),
    ]);
  });

  it('restricts timing to the capture window, with NULL quantiles where nobody got through', async () => {
    const february = await queries.funnelTimeInStage({
      capturedFrom: '2025-02-01T00:00:00Z',
      capturedTo: '2025-03-01T00:00:00Z',
    });
    expect(
      february
        .filter((row) => row.path === 'marketing')
        .map(({ toStage, leads, medianHours }) => [toStage, leads, medianHours]),
    ).toEqual([
      ['mql', 1, 10],
      ['handed_to_sales', 1, 2],
      ['accepted', 1, 2],
      ['rejected', 0, null],
      ['sql', 1, 24],
      ['opportunity', 1, 12],
      ['won', 0, null],
      ['lost', 1, 120],
    ]);
  });

  it('counts the funnel per capture week and per capture month', async () => {
    const counts = (
      captured: number,
      mql: number,
      handedToSales: number,
      accepted: number,
      rejected: number,
      sql: number,
      opportunity: number,
      won: number,
      lost: number,
    ) => ({
      captured,
      mql,
      handedToSales,
      salesSourced: 0, // no lead of this scenario entered sales directly
      accepted,
      rejected,
      sql,
      opportunity,
      won,
      lost,
    });
    expect(await queries.funnelByCohort('week')).toEqual([
      { cohort: '2025-01-06', ...counts(1, 1, 1, 1, 0, 1, 1, 1, 0), wonRevenue: { EUR: '5000' } },
      { cohort: '2025-01-13', ...counts(1, 1, 1, 0, 1, 0, 0, 0, 0), wonRevenue: {} },
      { cohort: '2025-02-03', ...counts(2, 1, 1, 1, 0, 1, 1, 0, 1), wonRevenue: {} },
    ]);
    expect(await queries.funnelByCohort('month')).toEqual([
      { cohort: '2025-01-01', ...counts(2, 2, 2, 1, 1, 1, 1, 1, 0), wonRevenue: { EUR: '5000' } },
      { cohort: '2025-02-01', ...counts(2, 1, 1, 1, 0, 1, 1, 0, 1), wonRevenue: {} },
    ]);
  });

  it('refuses a cohort grain that is not on the list', async () => {
    await expect(queries.funnelByCohort('day' as CohortGrain)).rejects.toBeInstanceOf(
      InvalidQueryParameterError,
    );
  });
});

describe('sales and account views', () => {
  let queries: AnalyticsQueries;
  beforeAll(async () => {
    const database = await freshDatabase();
    await projectBatch(client, timingScenario(), { database });
    queries = new AnalyticsQueries(client, { reader: analytics.reader(), database });
  });

  it('rolls every lens total up by account', async () => {
    const zero = { accepted: 0, rejected: 0, sqls: 0, opportunities: 0, won: 0, lost: 0 };
    expect(await queries.accountLens()).toEqual([
      {
        account: '',
        leads: 1,
        mqls: 0,
        handedToSales: 0,
        salesSourced: 0,
        ...zero,
        wonRevenue: {},
        pipeline: {},
      },
      {
        account: 'acme',
        leads: 2,
        mqls: 2,
        handedToSales: 2,
        salesSourced: 0,
        accepted: 2,
        rejected: 0,
        sqls: 2,
        opportunities: 2,
        won: 1,
        lost: 1,
        wonRevenue: { EUR: '5000' },
        pipeline: {},
      },
      {
        account: 'globex',
        leads: 1,
        mqls: 1,
        handedToSales: 1,
        salesSourced: 0,
        ...zero,
        rejected: 1,
        wonRevenue: {},
        pipeline: {},
      },
    ]);
  });

  it('shows response time, win rate, cycle length and loss reasons per team and owner', async () => {
    expect(await queries.salesPerformance()).toEqual([
      {
        team: 'emea',
        owner: 'alice',
        handedToSales: 1,
        salesSourced: 0,
        accepted: 1,
        rejected: 0,
        medianResponseHours: 4, // T1: handed -> accepted 4 h
        p90ResponseHours: 4,
        won: 1,
        lost: 0,
        winRate: 1,
        medianCycleDays: 10, // T1: 240 h
        p90CycleDays: 10,
        lossReasons: {},
      },
      {
        team: 'emea',
        owner: 'bob',
        handedToSales: 2,
        salesSourced: 0,
        accepted: 1,
        rejected: 1,
        medianResponseHours: 1.5, // [1 (T2), 2 (T3)]
        p90ResponseHours: 1.9, // 1 + 0.9 * 1
        won: 0,
        lost: 1,
        winRate: 0,
        medianCycleDays: 5, // T3: 120 h
        p90CycleDays: 5,
        lossReasons: { price: 1 },
      },
    ]);
  });

  it('puts every target beside its actual for the period', async () => {
    expect(await queries.targetsProgress()).toEqual([
      // MQLs in January: T1 (01-06), T2 (01-13)
      {
        team: 'marketing',
        metric: 'mqls',
        period: '2025-01',
        owner: '',
        target: '4',
        actualCount: 2,
        actualAmount: {},
        progress: 0.5,
      },
      // bob's opportunities opened in February: T3
      {
        team: 'sales',
        metric: 'opportunities',
        period: '2025-02',
        owner: 'bob',
        target: '1',
        actualCount: 1,
        actualAmount: {},
        progress: 1,
      },
      // deals won in Q1: T1
      {
        team: 'sales',
        metric: 'won_deals',
        period: '2025-Q1',
        owner: '',
        target: '2',
        actualCount: 1,
        actualAmount: {},
        progress: 0.5,
      },
      // alice's won revenue in Q1: T1 5000 EUR
      {
        team: 'sales',
        metric: 'won_revenue',
        period: '2025-Q1',
        owner: 'alice',
        target: '10000',
        actualCount: null,
        actualAmount: { EUR: '5000' },
        progress: 0.5,
      },
    ]);
  });
});
