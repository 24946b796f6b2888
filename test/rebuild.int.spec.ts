/**
 * Rebuilding the projections from the event log gives the same views, byte for
 * byte, as projecting the events live — and a second rebuild again the same. The log mixes
 * both LeadCaptured versions, with UTM content: v1 as recorded before v2 (plain, lifted on
 * read) and v2 (sealed at append); both must project alike, live and rebuilt.
 */
import { createHash } from 'node:crypto';
import { leadStreamId } from '@tandem/domain';
import request from 'supertest';
import { waitForProjection, funnelApiPerFile } from './support/funnel-api.fixture';
import { leadJourney } from './support/lead-journeys';
import { asRole } from './support/auth-headers';

jest.setTimeout(180_000);

const suite = funnelApiPerFile('rebuild');

const views = [
  '/analytics/funnel',
  '/analytics/marketing',
  '/analytics/sales',
  '/analytics/reconciliation',
  '/analytics/accounts?limit=1000',
  '/analytics/marketing/attribution?model=w_shaped&limit=1000',
  '/analytics/alignment?asOf=2026-06-01T00:00:00Z&limit=1000',
  '/analytics/sales/performance?limit=1000',
  '/analytics/funnel/cohorts?grain=week&limit=1000',
];

/** SHA-256 over every view's JSON, in a fixed order. */
async function fingerprint(): Promise<string> {
  const hash = createHash('sha256');
  for (const path of views) {
    const response = await request(suite.http).get(path).set(asRole('ops')).expect(200);
    hash.update(path).update(response.text);
  }
  return hash.digest('hex');
}

it('rebuild reproduces the live views byte for byte, twice', async () => {
  for (let i = 0; i < 60; i++) {
    const journey = leadJourney(i, i % 2 === 0 ? 'webinar' : 'referral');
    const [capture, ...rest] = journey.events;
    const source = { ...(capture!.data.source as object), content: `newsletter-${i}` };
    const withContent = {
      ...capture!,
      data: { ...capture!.data, source },
      schemaVersion: i % 3 === 0 ? 1 : capture!.schemaVersion,
    };
    await suite.api.store.append(leadStreamId(journey.leadId), [withContent, ...rest], {
      expectedRevision: 'no_stream',
    });
  }
  await waitForProjection(suite.http);
  const live = await fingerprint();

  await request(suite.http).post('/ops/rebuild').set(asRole('sales')).expect(403);
  await request(suite.http).post('/ops/rebuild').set(asRole('ops')).expect(202);
  await waitForProjection(suite.http);
  const first = await fingerprint();

  await request(suite.http).post('/ops/rebuild').set(asRole('ops')).expect(202);
  await waitForProjection(suite.http);
  const second = await fingerprint();

  expect(first).toBe(live);
  expect(second).toBe(first);
  const reconciliation = await request(suite.http)
    .get('/analytics/reconciliation')
    .set(asRole('ops'))
    .expect(200);
  expect((reconciliation.body as { ok: boolean }).ok).toBe(true);
});
