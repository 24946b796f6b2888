/**
 * Attribution over HTTP with touches before capture (ADR 0012), on real engines (PGlite +
 * chDB): anonymous ad clicks recorded against a visitor id, the lead captured with that
 * visitor id, won; the U-shaped model read back credits first touch and lead creation, worked
 * out BY HAND below. Also the route's own rules: a retry is answered, not recorded twice, even
 * when it races the original; touches of one visitor sent at once (a page's beacons) are all
 * recorded, never a 409 for a revision the client never named; a malformed visitor id is a 400
 * naming it; sales may not record marketing's tracking.
 */
import { visitorStreamId } from '@tandem/domain';
import request from 'supertest';
import { asRole } from './support/auth-headers';
import { waitForProjection, funnelApiPerFile } from './support/funnel-api.fixture';
import { postAs, qualifyAsMql, winDeal } from './support/lead-commands';

jest.setTimeout(120_000);

const suite = funnelApiPerFile('attribution-api');

const post = postAs(() => suite.http);

const visitor = 'v_api_laptop01';
const anonymousTouch = (
  touchpointId: string,
  channel: string,
  campaign: string,
  occurredAt: string,
) =>
  post(`/visitors/${visitor}/touchpoints`, 'marketing', {
    touchpointId,
    kind: 'ad_click',
    channel,
    campaign,
    occurredAt,
  });

interface AttributionRow {
  channel: string;
  campaign: string;
  leadsTouched: number;
  wonRevenue: Record<string, string>;
}

describe('touches before capture over HTTP', () => {
  it('records an anonymous touch once, and refuses a bad id or the wrong role', async () => {
    const first = await anonymousTouch('c1', 'paid_search', 'spring', '2026-01-08T10:00:00.000Z');
    expect(first.status).toBe(201);
    expect((first.body as { eventId: unknown }).eventId).toEqual(expect.any(String));
    const retry = await anonymousTouch('c1', 'paid_search', 'spring', '2026-01-08T10:00:00.000Z');
    expect(retry.status).toBe(201);
    expect(retry.body).toEqual({ eventId: null });

    const bad = await post('/visitors/ada@example.com/touchpoints', 'marketing', {
      touchpointId: 'c9',
      kind: 'ad_click',
      channel: 'paid_search',
    });
    expect(bad.status).toBe(400);
    expect(JSON.stringify(bad.body)).toContain('visitorId');
    await post(`/visitors/${visitor}/touchpoints`, 'sales', {
      touchpointId: 'c9',
      kind: 'ad_click',
      channel: 'paid_search',
    }).expect(403);
  });

  it('records every touch of one visitor sent at once, and a retry racing its original once', async () => {
    const busy = 'v_api_beacons01';
    const touch = (touchpointId: string) =>
      post(`/visitors/${busy}/touchpoints`, 'marketing', {
        touchpointId,
        kind: 'page_view',
        channel: 'web',
      });
    // Six different touches at once: each one is recorded (the route takes no expectedRevision,
    // so no conflict is the client's to resolve).
    const distinct = await Promise.all(['p1', 'p2', 'p3', 'p4', 'p5', 'p6'].map(touch));
    expect(distinct.map((response) => response.status)).toEqual([201, 201, 201, 201, 201, 201]);
    // One touch and five retries of it at once: recorded once, every retry answered as one.
    const same = await Promise.all(Array.from({ length: 6 }, () => touch('p7')));
    expect(same.map((response) => response.status)).toEqual([201, 201, 201, 201, 201, 201]);
    const ids = same.map((response) => (response.body as { eventId: string | null }).eventId);
    expect(ids.filter((id) => id !== null)).toHaveLength(1);

    const stored = await suite.api.store.readStream(visitorStreamId(busy));
    expect(
      stored.map((event) => (event.data as { touchpointId: string }).touchpointId).sort(),
    ).toEqual(['p1', 'p2', 'p3', 'p4', 'p5', 'p6', 'p7']);
  });

  it('credits the stitched touches under U-shaped: first touch and lead creation differ', async () => {
    await anonymousTouch('c2', 'social', 'retarget', '2026-01-09T10:00:00.000Z').expect(201);
    const captured = await post('/leads', 'marketing', {
      contact: { name: 'Giulia Rossi', email: 'giulia@example.com' },
      company: { name: 'Acme', industry: 'software', size: 250, country: 'IT' },
      source: { channel: 'webinar', campaign: 'launch' },
      productInterest: 'funnel_analytics',
      timeframe: '3_months',
      consent: { marketing: true },
      visitorIds: [visitor],
      occurredAt: '2026-01-10T10:00:00.000Z',
    }).expect(201);
    const leadId = (captured.body as { leadId: string }).leadId;
    await qualifyAsMql(post, leadId);
    await winDeal(post, leadId, { owner: 'marco.rossi' });
    await waitForProjection(suite.http);

    // Path: paid_search/spring (8 Jan, FT), social/retarget (9 Jan), webinar/launch (capture,
    // LC), web (demo request, after LC: outside the U). Weights 40, 20, 40, 0 of 28000.
    const response = await request(suite.http)
      .get('/analytics/marketing/attribution?model=u_shaped&limit=100')
      .set(asRole('analyst', 'analyst-tester'))
      .expect(200);
    const body = response.body as AttributionRow[] | { items: AttributionRow[] };
    const rows = Array.isArray(body) ? body : body.items;
    const credit = Object.fromEntries(
      rows.map((row) => [`${row.channel}/${row.campaign}`, [row.leadsTouched, row.wonRevenue]]),
    );
    expect(credit).toEqual({
      'paid_search/spring': [1, { EUR: '11200' }],
      'social/retarget': [1, { EUR: '5600' }],
      'webinar/launch': [1, { EUR: '11200' }],
      'web/': [1, {}],
    });
  });
});
