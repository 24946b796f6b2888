/**
 * Rebuilding the projections from the event log gives the same views, byte for
 * byte, as projecting the events live — and a second rebuild again the same.
 */
import { createHash } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { leadStreamId } from '@tandem/domain';
import request from 'supertest';
import type { App } from 'supertest/types';
import {
  type FunnelApiFixture,
  startFunnelApi,
  waitForProjection,
} from './support/funnel-api.fixture';
import { leadJourney } from './support/lead-journeys';
import { asRole } from './support/auth-headers';

jest.setTimeout(180_000);

let chdbPath: string;
let api: FunnelApiFixture;
let http: App;

beforeAll(async () => {
  chdbPath = await mkdtemp(join(tmpdir(), 'tandem-rebuild-chdb-'));
  api = await startFunnelApi(chdbPath);
  http = api.app.getHttpServer() as App;
});

afterAll(async () => {
  await api?.close();
  await rm(chdbPath, { recursive: true, force: true });
});

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
    const response = await request(http).get(path).set(asRole('ops')).expect(200);
    hash.update(path).update(response.text);
  }
  return hash.digest('hex');
}

it('rebuild reproduces the live views byte for byte, twice', async () => {
  for (let i = 0; i < 60; i++) {
    const journey = leadJourney(i, i % 2 === 0 ? 'webinar' : 'referral');
    await api.store.append(leadStreamId(journey.leadId), journey.events, {
      expectedRevision: 'no_stream',
    });
  }
  await waitForProjection(http);
  const live = await fingerprint();

  await request(http).post('/ops/rebuild').set(asRole('sales')).expect(403);
  await request(http).post('/ops/rebuild').set(asRole('ops')).expect(202);
  await waitForProjection(http);
  const first = await fingerprint();

  await request(http).post('/ops/rebuild').set(asRole('ops')).expect(202);
  await waitForProjection(http);
  const second = await fingerprint();

  expect(first).toBe(live);
  expect(second).toBe(first);
  const reconciliation = await request(http)
    .get('/analytics/reconciliation')
    .set(asRole('ops'))
    .expect(200);
  expect((reconciliation.body as { ok: boolean }).ok).toBe(true);
});
