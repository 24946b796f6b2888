/**
 * Attribution as marketers define it (ADR 0012), on embedded chDB: time decay with the rule
 * set's half-life, positional weights taken from the rule set's dictionary, and which touches
 * count (none after the deal closed). Every expected credit is worked out BY HAND below, not
 * by running the SQL. analytics-views.int.spec.ts covers the other models with default weights.
 */
import type { ClickHouseClient } from '@clickhouse/client';
import { defaultFunnelDefinition, type FunnelDefinition, type LeadEvent } from '@tandem/domain';
import { AnalyticsQueries } from './analytics.queries';
import type { MarketingAttributionRow } from './analytics.rows';
import type { AnyEnvelope } from '../projection/lead-event.row';
import { projectBatch } from '../projection/lead-events.writer';
import type { RuleSet } from '../rules/rule-sets';
import { useEmbeddedAnalytics } from '../testing/embedded-analytics.fixture';
import { createEventLog, leadEvent as e } from '../testing/event-log.fixture';
import { registerRuleSet } from '../testing/rule-sets.fixture';

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
  attribution: {
    ...defaultFunnelDefinition.attribution,
    weights: {
      ...defaultFunnelDefinition.attribution.weights,
      uShaped: { firstTouch: 50, leadCreation: 30, others: 20 },
    },
    timeDecay: { halfLifeDays: 1 },
  },
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
    queries = new AnalyticsQueries(client, { database });
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
