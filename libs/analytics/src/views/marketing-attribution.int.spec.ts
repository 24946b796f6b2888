/**
 * Attribution as marketers define it (ADR 0012), on embedded chDB: time decay with the rule
 * set's half-life, positional weights taken from the rule set's dictionary, which touches count
 * (none after the deal closed), and anonymous touches before capture stitched to the lead by
 * its visitor ids. Every expected credit is worked out BY HAND below, not
 * by running the SQL. analytics-views.int.spec.ts covers the other models with default weights.
 */
import type { ClickHouseClient } from '@clickhouse/client';
import {
  defaultFunnelDefinition,
  type FunnelDefinition,
  type LeadEvent,
  type VisitorEvent,
} from '@tandem/domain';
import { AnalyticsQueries } from './analytics.queries';
import type { MarketingAttributionRow } from './analytics.rows';
import type { AnyEnvelope } from '../projection/lead-event.row';
import { projectBatch } from '../projection/lead-events.writer';
import type { RuleSet } from '../rules/rule-sets';
import { useEmbeddedAnalytics } from '../testing/embedded-analytics.fixture';
import { createEventLog, leadEvent as e } from '../testing/event-log.fixture';
import { registerRuleSet, tunedAttribution } from '../testing/rule-sets.fixture';

const analytics = useEmbeddedAnalytics('marketing-attribution-int');

const DAY = 86_400_000;
const HOUR = 3_600_000;
const D0 = Date.UTC(2025, 2, 10, 9, 0, 0);
const day = (days: number, hours = 0): string =>
  new Date(D0 + days * DAY + hours * HOUR).toISOString();

const touch = (touchpointId: string, channel: string, campaign: string): LeadEvent => ({
  type: 'TouchpointRecorded',
  data: { touchpointId, kind: 'webinar', channel, campaign, content: null },
});

/**
 * Business times (days after D0) of each lead's events:
 *   B1 won 700 EUR at 2d+2h: paid_search/spring (capture, 0d), webinar/launch (1d),
 *      email/nurture (2d), opened (2d+1h), won, events/expo (5d: after the win, never counts)
 *   B2 lost: social/retarget (capture, 0d), opened 300 (1d), lost (2d), events/expo (3d: after
 *      the loss, never counts)
 *   B3 open opportunity 200 EUR: email/nurture (capture, 0d), webinar/launch (1d), opened (2d),
 *      paid_search/spring (3d: the opportunity is still open, so it counts)
 *   B4 won 1000 EUR at 2d: paid_search/spring (-1d) and social/retarget (0d) recorded before
 *      the capture's business time, webinar/launch (capture, 1d), opened (1d+1h), won
 */
function scenario(): AnyEnvelope[] {
  const log = createEventLog();
  const times = new Map<string, string>();
  const at = (time: string, envelope: AnyEnvelope) => times.set(envelope.eventId, time);

  at(day(0), log.lead('B1', e.captured('paid_search', 'spring')));
  at(day(1), log.lead('B1', touch('b1-1', 'webinar', 'launch')));
  at(day(2), log.lead('B1', touch('b1-2', 'email', 'nurture')));
  at(day(2, 1), log.lead('B1', e.opened('o1', 700, 'EUR')));
  at(day(2, 2), log.lead('B1', e.won('o1', 700, 'EUR')));
  at(day(5), log.lead('B1', touch('b1-3', 'events', 'expo')));

  at(day(0), log.lead('B2', e.captured('social', 'retarget')));
  at(day(1), log.lead('B2', e.opened('o2', 300, 'EUR')));
  at(day(2), log.lead('B2', e.lost('o2', 'price')));
  at(day(3), log.lead('B2', touch('b2-1', 'events', 'expo')));

  at(day(0), log.lead('B3', e.captured('email', 'nurture')));
  at(day(1), log.lead('B3', touch('b3-1', 'webinar', 'launch')));
  at(day(2), log.lead('B3', e.opened('o3', 200, 'EUR')));
  at(day(3), log.lead('B3', touch('b3-2', 'paid_search', 'spring')));

  at(day(1), log.lead('B4', e.captured('webinar', 'launch')));
  at(day(-1), log.lead('B4', touch('b4-1', 'paid_search', 'spring')));
  at(day(0), log.lead('B4', touch('b4-2', 'social', 'retarget')));
  at(day(1, 1), log.lead('B4', e.opened('o4', 1000, 'EUR')));
  at(day(2), log.lead('B4', e.won('o4', 1000, 'EUR')));

  return log.envelopes.map((envelope) => ({
    ...envelope,
    occurredAt: times.get(envelope.eventId) ?? envelope.occurredAt,
  }));
}

/** Version 2 of the dictionary: U-shaped 50/30/20 and a one-day half-life. */
const tuned: FunnelDefinition = {
  ...defaultFunnelDefinition,
  version: 2,
  attribution: tunedAttribution,
};

type Credit = Pick<MarketingAttributionRow, 'leadsTouched' | 'wonRevenue' | 'pipeline'>;
const credits = (rows: readonly MarketingAttributionRow[]): Record<string, Credit> =>
  Object.fromEntries(
    rows.map((row) => [
      `${row.channel}/${row.campaign}`,
      { leadsTouched: row.leadsTouched, wonRevenue: row.wonRevenue, pipeline: row.pipeline },
    ]),
  );

describe('attribution as marketers define it', () => {
  let client: ClickHouseClient;
  let queries: AnalyticsQueries;
  let tunedSet: RuleSet;
  beforeAll(async () => {
    client = analytics.client();
    const database = await analytics.freshDatabase();
    tunedSet = await registerRuleSet(client, database, tuned);
    const envelopes = scenario();
    await projectBatch(client, envelopes, { database });
    await projectBatch(client, envelopes, { database }); // redelivered: nothing may double
    queries = new AnalyticsQueries(client, { reader: analytics.reader(), database });
  });

  it('halves the credit per half-life before the last counted touch (time decay)', async () => {
    // Weights 2^-(days before the last counted touch), half-life 1 day; units of 0.0001:
    //   B1 won 7000000 over [2d, 1d, 0d] = [1/4, 1/2, 1] / 1.75 -> 100, 200, 400 (expo is after the win)
    //   B3 pipeline 2000000 over [3d, 2d, 0d] = [1/8, 1/4, 1] / 1.375 -> 181818, 363636, 1454545,
    //      remainder 1 to the first touch -> 18.1819, 36.3636, 145.4545
    //   B4 won 10000000 over [2d, 1d, 0d] -> 1428571, 2857142, 5714285, remainder 2 to the
    //      first two -> 142.8572, 285.7143, 571.4285
    expect(credits(await queries.marketingAttribution('time_decay', { rules: tunedSet }))).toEqual({
      'email/nurture': {
        leadsTouched: 2,
        wonRevenue: { EUR: '400' },
        pipeline: { EUR: '18.1819' },
      },
      'paid_search/spring': {
        leadsTouched: 3,
        wonRevenue: { EUR: '242.8572' },
        pipeline: { EUR: '145.4545' },
      },
      'social/retarget': { leadsTouched: 2, wonRevenue: { EUR: '285.7143' }, pipeline: {} },
      'webinar/launch': {
        leadsTouched: 3,
        wonRevenue: { EUR: '771.4285' },
        pipeline: { EUR: '36.3636' },
      },
    });
  });

  it('takes the positional weights from the rule set read (U-shaped 50/30/20)', async () => {
    // B1 and B3: first touch = lead creation, nothing between -> all to the capture.
    // B4: FT paid_search 50, between social 20, LC webinar 30 -> 500, 200, 300.
    const tunedCredits = credits(
      await queries.marketingAttribution('u_shaped', { rules: tunedSet }),
    );
    expect(tunedCredits).toEqual({
      'email/nurture': { leadsTouched: 2, wonRevenue: {}, pipeline: { EUR: '200' } },
      'paid_search/spring': { leadsTouched: 3, wonRevenue: { EUR: '1200' }, pipeline: {} },
      'social/retarget': { leadsTouched: 2, wonRevenue: { EUR: '200' }, pipeline: {} },
      'webinar/launch': { leadsTouched: 3, wonRevenue: { EUR: '300' }, pipeline: {} },
    });
    // Version 1 (the shipped 40/40/20) splits B4 400, 200, 400.
    const shippedSet = await queries.ruleSet({ rulesVersion: 1 });
    const shipped = credits(await queries.marketingAttribution('u_shaped', { rules: shippedSet }));
    expect(shipped['paid_search/spring']?.wonRevenue).toEqual({ EUR: '1100' });
    expect(shipped['webinar/launch']?.wonRevenue).toEqual({ EUR: '400' });
  });

  it('credits no touch after the deal closed, won or lost', async () => {
    for (const model of ['linear', 'last_touch', 'full_path'] as const) {
      const rows = await queries.marketingAttribution(model, { rules: tunedSet });
      expect(rows.map((row) => `${row.channel}/${row.campaign}`)).not.toContain('events/expo');
    }
    // Last touch: B1's last counted touch is email (2d), not the expo after the win.
    const last = credits(await queries.marketingAttribution('last_touch', { rules: tunedSet }));
    expect(last['email/nurture']?.wonRevenue).toEqual({ EUR: '700' });
  });
});

const anonymous = (
  visitorId: string,
  touchpointId: string,
  channel: string,
  campaign: string,
): VisitorEvent => ({
  type: 'AnonymousTouchpointRecorded',
  data: { visitorId, touchpointId, kind: 'ad_click', channel, campaign },
});

/**
 * Touches before capture, stitched by LeadCaptured's visitorIds. Lead B5 won 100 EUR at 2d:
 *   laptop visitor: paid_search/spring (-3d), social/retarget (-2d), events/expo (3d: after the
 *   win, never counts); phone visitor: email/nurture (-1d); another visitor, not stitched:
 *   events/expo (-1d, never counts). Capture webinar/launch (0d), opened (1d), won (2d).
 * Path [spring, retarget, nurture, launch]: FT = 1; LC = OC = CW = 4 (nothing after the capture).
 */
function preCaptureScenario(): AnyEnvelope[] {
  const log = createEventLog();
  const times = new Map<string, string>();
  const at = (time: string, envelope: AnyEnvelope) => times.set(envelope.eventId, time);
  at(day(-3), log.visitor(anonymous('v_b5_laptop', 'a1', 'paid_search', 'spring')));
  at(day(-2), log.visitor(anonymous('v_b5_laptop', 'a2', 'social', 'retarget')));
  at(day(-1), log.visitor(anonymous('v_b5_phone', 'a3', 'email', 'nurture')));
  at(day(-1), log.visitor(anonymous('v_someone_else', 'a4', 'events', 'expo')));
  const capture = e.captured('webinar', 'launch');
  if (capture.type !== 'LeadCaptured') throw new Error('unreachable');
  const stitching: LeadEvent = {
    ...capture,
    data: { ...capture.data, visitorIds: ['v_b5_laptop', 'v_b5_phone'] },
  };
  at(day(0), log.lead('B5', stitching));
  at(day(1), log.lead('B5', e.opened('o5', 100, 'EUR')));
  at(day(2), log.lead('B5', e.won('o5', 100, 'EUR')));
  at(day(3), log.visitor(anonymous('v_b5_laptop', 'a5', 'events', 'expo')));
  return log.envelopes.map((envelope) => ({
    ...envelope,
    occurredAt: times.get(envelope.eventId) ?? envelope.occurredAt,
  }));
}

describe('touches before capture', () => {
  let queries: AnalyticsQueries;
  let shippedSet: RuleSet;
  let tunedSet: RuleSet;
  beforeAll(async () => {
    const client = analytics.client();
    const database = await analytics.freshDatabase();
    tunedSet = await registerRuleSet(client, database, tuned);
    const envelopes = preCaptureScenario();
    await projectBatch(client, envelopes, { database });
    await projectBatch(client, envelopes, { database }); // redelivered: nothing may double
    queries = new AnalyticsQueries(client, { reader: analytics.reader(), database });
    shippedSet = await queries.ruleSet({ rulesVersion: 1 });
  });

  const won = (spring: string, retarget: string, nurture: string, launch: string) => {
    const entry = (amount: string): Credit => ({
      leadsTouched: 1,
      wonRevenue: amount === '0' ? {} : { EUR: amount },
      pipeline: {},
    });
    return {
      'email/nurture': entry(nurture),
      'paid_search/spring': entry(spring),
      'social/retarget': entry(retarget),
      'webinar/launch': entry(launch),
    };
  };

  // 1000000 units over [spring, retarget, nurture, launch]; m = 2 "other" touches:
  //   u [40x2, 20, 20, 40x2] /200; w [30x2, 10, 10, (30+30)x2] /200;
  //   full [22.5x2, 10, 10, (22.5x3)x2] /200.
  it.each([
    ['first_touch', won('100', '0', '0', '0')],
    ['last_touch', won('0', '0', '0', '100')],
    ['linear', won('25', '25', '25', '25')],
    ['u_shaped', won('40', '10', '10', '40')],
    ['w_shaped', won('30', '5', '5', '60')],
    ['full_path', won('22.5', '5', '5', '67.5')],
  ] as const)('credits the stitched touches under %s', async (model, expected) => {
    expect(credits(await queries.marketingAttribution(model, { rules: shippedSet }))).toEqual(
      expected,
    );
  });

  it('decays from the last counted touch across stitched touches too', async () => {
    // Half-life 1 day, ages 3, 2, 1, 0 days: [1/8, 1/4, 1/2, 1] / 1.875 -> 66666, 133333,
    // 266666, 533333, remainder 2 to the first two -> 6.6667, 13.3334, 26.6666, 53.3333.
    expect(credits(await queries.marketingAttribution('time_decay', { rules: tunedSet }))).toEqual(
      won('6.6667', '13.3334', '26.6666', '53.3333'),
    );
  });

  it('reads the touches as of a business time like every other event', async () => {
    // As of 1.5 days: B5 is not won, its opportunity is open; the path is the same four
    // touches, so first touch credits the whole pipeline to the ad click before capture.
    const rows = await queries.marketingAttribution('first_touch', {
      rules: shippedSet,
      asOf: day(1, 12),
    });
    expect(credits(rows)['paid_search/spring']).toEqual({
      leadsTouched: 1,
      wonRevenue: {},
      pipeline: { EUR: '100' },
    });
  });
});

describe('erasure', () => {
  it('leaves the stitched path and every credit as they were', async () => {
    const client = analytics.client();
    const database = await analytics.freshDatabase();
    const envelopes = preCaptureScenario();
    await projectBatch(client, envelopes, { database });
    const queries = new AnalyticsQueries(client, { reader: analytics.reader(), database });
    const before = JSON.stringify(await queries.marketingAttribution('w_shaped'));

    const log = createEventLog({ firstPosition: envelopes.length + 1 });
    await projectBatch(client, [log.lead('B5', e.erased())], { database });
    const after = JSON.stringify(await queries.marketingAttribution('w_shaped'));
    expect(after).toBe(before);
    // And the credits are the stitched ones (W-shaped, worked out in 'touches before capture').
    expect(credits(JSON.parse(after) as MarketingAttributionRow[])['paid_search/spring']).toEqual({
      leadsTouched: 1,
      wonRevenue: { EUR: '30' },
      pipeline: {},
    });
  });
});
