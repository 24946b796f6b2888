/**
 * Attribution over HTTP with touches before capture (ADR 0012), on real engines (PGlite +
 * chDB): anonymous ad clicks recorded against a visitor id, the lead captured with that
 * visitor id, won; the U-shaped model read back credits first touch and lead creation, worked
 * out BY HAND below. Also the route's own rules: a retry is answered, not recorded twice; a
 * malformed visitor id is a 400 naming it; sales may not record marketing's tracking.
 */
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
