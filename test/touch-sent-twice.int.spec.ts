/**
 * One touchpoint id is one touch of a lead, whichever route recorded it (ADR 0012 addendum), on
 * real engines (PGlite + chDB) over HTTP. An ad click recorded against a visitor, the visitor
 * stitched into the lead at capture, then the same click sent again to the lead's own route
 * (which answers it: it cannot see the visitor's stream), is counted once in attribution; so is
 * one click sent to two visitors both stitched into the lead. The copy counted is the earliest
 * in the global order. A rebuild gives the same rows. Splits worked out BY HAND below.
 */
import request from 'supertest';
import { asRole } from './support/auth-headers';
import { waitForProjection, funnelApiPerFile } from './support/funnel-api.fixture';
import { openOpportunity, postAs, qualifyAsMql } from './support/lead-commands';

jest.setTimeout(180_000);

const suite = funnelApiPerFile('touch-sent-twice');

const post = postAs(() => suite.http);

interface AttributionRow {
  channel: string;
  campaign: string;
  leadsTouched: number;
  pipeline: Record<string, string>;
}

const adClick = (path: string, touchpointId: string, occurredAt: string) =>
  post(path, 'marketing', {
    touchpointId,
    kind: 'ad_click',
    channel: 'ads',
    campaign: 'spring',
    occurredAt,
  });

/** Captured from a webinar naming the visitors, to MQL (a web demo request), a 300 EUR opportunity. */
async function openPipeline(
  email: string,
  visitorIds: readonly string[],
  beforeOpportunity: (leadId: string) => Promise<void>,
): Promise<void> {
  const captured = await post('/leads', 'marketing', {
    contact: { name: 'Ines Duarte', email },
    company: { name: 'Acme', industry: 'software', size: 250, country: 'PT' },
    source: { channel: 'webinar', campaign: 'launch' },
    productInterest: 'funnel_analytics',
    timeframe: '3_months',
    consent: { marketing: true },
    visitorIds,
    occurredAt: '2026-02-02T10:00:00.000Z',
  }).expect(201);
  const leadId = (captured.body as { leadId: string }).leadId;
  await beforeOpportunity(leadId);
  await qualifyAsMql(post, leadId);
  await openOpportunity(post, leadId, { owner: 'rita.alves' }, 300);
}

async function linearCredit(): Promise<Record<string, [number, Record<string, string>]>> {
  await waitForProjection(suite.http);
  const response = await request(suite.http)
    .get('/analytics/marketing/attribution?model=linear&limit=100')
    .set(asRole('analyst', 'analyst-tester'))
    .expect(200);
  const body = response.body as AttributionRow[] | { items: AttributionRow[] };
  const rows = Array.isArray(body) ? body : body.items;
  return Object.fromEntries(
    rows.map((row) => [`${row.channel}/${row.campaign}`, [row.leadsTouched, row.pipeline]]),
  );
}

describe('a touch sent by two routes', () => {
  it('counts the visitor copy and the lead copy of one click once, also after a rebuild', async () => {
    await adClick('/visitors/v_twice_one/touchpoints', 'tp-1', '2026-02-01T10:00:00.000Z').expect(
      201,
    );
    await openPipeline('ines@example.com', ['v_twice_one'], async (leadId) => {
      // The lead route cannot see the visitor stream: it records the click again.
      const again = await adClick(
        `/leads/${leadId}/touchpoints`,
        'tp-1',
        '2026-02-01T10:00:00.000Z',
      );
      expect([200, 201]).toContain(again.status);
    });

    // Path: ads/spring (1 Feb, once), webinar/launch (capture), web (demo request): 100 each.
    // Counted twice it was ads 150, webinar 75, web 75.
    const expected = {
      'ads/spring': [1, { EUR: '100' }],
      'webinar/launch': [1, { EUR: '100' }],
      'web/': [1, { EUR: '100' }],
    };
    expect(await linearCredit()).toEqual(expected);

    await request(suite.http).post('/ops/rebuild').set(asRole('ops')).expect(202);
    expect(await linearCredit()).toEqual(expected);
  });

  it('counts one click sent to two visitors both stitched into the lead once', async () => {
    await adClick('/visitors/v_twice_a/touchpoints', 'tp-9', '2026-02-01T11:00:00.000Z').expect(
      201,
    );
    await adClick('/visitors/v_twice_b/touchpoints', 'tp-9', '2026-02-01T11:00:00.000Z').expect(
      201,
    );
    await openPipeline('joana@example.com', ['v_twice_a', 'v_twice_b'], () => Promise.resolve());

    // This lead: ads, webinar, web, 100 each; with the first test's lead, 200 each.
    expect(await linearCredit()).toEqual({
      'ads/spring': [2, { EUR: '200' }],
      'webinar/launch': [2, { EUR: '200' }],
      'web/': [2, { EUR: '200' }],
    });
  });

  it('keeps the earliest copy when their facts differ: the visitor copy first', async () => {
    await adClick('/visitors/v_twice_c/touchpoints', 'tp-3', '2026-02-01T12:00:00.000Z').expect(
      201,
    );
    await openPipeline('rui@example.com', ['v_twice_c'], async (leadId) => {
      const later = await post(`/leads/${leadId}/touchpoints`, 'marketing', {
        touchpointId: 'tp-3',
        kind: 'ad_click',
        channel: 'social',
        campaign: 'retarget',
        occurredAt: '2026-02-01T12:00:00.000Z',
      });
      expect([200, 201]).toContain(later.status);
    });

    // The lead's later copy (social/retarget) is not a touch of it: no lead touched, no credit.
    expect(await linearCredit()).toEqual({
      'ads/spring': [3, { EUR: '300' }],
      'webinar/launch': [3, { EUR: '300' }],
      'web/': [3, { EUR: '300' }],
    });
  });

  it('keeps the earliest copy when their facts differ: the lead route first', async () => {
    await openPipeline('marta@example.com', ['v_twice_d'], async (leadId) => {
      await adClick(`/leads/${leadId}/touchpoints`, 'tp-4', '2026-02-01T13:00:00.000Z').expect(
        (response) => expect([200, 201]).toContain(response.status),
      );
      // Then the visitor route, after capture: the visitor is stitched, its later copy of the
      // click is the lead's already.
      await post('/visitors/v_twice_d/touchpoints', 'marketing', {
        touchpointId: 'tp-4',
        kind: 'ad_click',
        channel: 'social',
        campaign: 'retarget',
        occurredAt: '2026-02-01T13:00:00.000Z',
      }).expect(201);
    });

    expect(await linearCredit()).toEqual({
      'ads/spring': [4, { EUR: '400' }],
      'webinar/launch': [4, { EUR: '400' }],
      'web/': [4, { EUR: '400' }],
    });
  });
});
