/**
 * A campaign spend sent with the client's `spendId`, without an Idempotency-Key, through the
 * real API on PGlite and on the local PostgreSQL, the embedded projector writing chDB (ADR 0007,
 * addendum "A spend without a key"): sent twice, sent many times at once, or sent with other
 * facts, it is one event in the store and one spend in the marketing attribution view's spend
 * and ROI. Without a `spendId` a repeat is another spend, as documented.
 */
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { INestApplication } from '@nestjs/common';
import { loadConfig, type TandemConfig } from '@tandem/config';
import { campaignStreamId } from '@tandem/domain';
import type { EventStore } from '@tandem/event-store';
import request from 'supertest';
import type { App } from 'supertest/types';
import { apiStoreEngines } from '../../../../test/support/api-store-engines';
import { asRole, testAuthEnv } from '../../../../test/support/auth-headers';
import { waitForProjection } from '../../../../test/support/funnel-api.fixture';
import { createFunnelApi } from '../funnel-api';
import { EVENT_STORE } from '../platform/tokens';

jest.setTimeout(180_000);

const engines = apiStoreEngines('spend id specs', 'spend_id');

interface Recorded {
  eventId: string;
  revision: number;
  events: { eventId: string; type: string }[];
}

describe.each(engines)('a campaign spend with its own spendId, on $name', (engine) => {
  let root: string;
  let app: INestApplication;
  let http: App;
  let store: EventStore;

  const post = (body: object) =>
    request(http).post('/campaign-spend').set(asRole('marketing', 'spend-tester')).send(body);
  const spendOf = (campaign: string, spendId?: string) => ({
    campaign,
    channel: 'paid_search',
    amount: 250.5,
    currency: 'EUR',
    spentOn: '2025-03-01',
    ...(spendId === undefined ? {} : { spendId }),
  });
  const spendEvents = async (campaign: string) =>
    (await store.readStream(campaignStreamId(campaign))).filter(
      (event) => event.type === 'CampaignSpendRecorded',
    );
  /** The spend the marketing attribution view reports for the campaign, per currency. */
  const viewedSpend = async (campaign: string) => {
    await waitForProjection(http);
    const query = new URLSearchParams({ model: 'first_touch', campaign, limit: '100' });
    const answer = await request(http)
      .get(`/analytics/marketing/attribution?${query.toString()}`)
      .set(asRole('analyst', 'spend-tester'))
      .expect(200);
    const rows = (answer.body as { items: { campaign: string; spend: Record<string, string> }[] })
      .items;
    return rows.filter((row) => row.campaign === campaign).map((row) => row.spend);
  };

  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'tandem-spend-id-'));
    const loaded = loadConfig({
      ...engine.env(join(root, 'data')),
      TANDEM_PORT: '0',
      TANDEM_LOG_LEVEL: 'error',
      ...testAuthEnv(),
    });
    const config: TandemConfig = {
      ...loaded,
      projector: 'embedded',
      clickhouse: {
        mode: 'embedded',
        path: join(root, 'chdb'),
        database: `spend_id_${process.pid}`,
      },
    };
    app = await createFunnelApi(config);
    await app.init();
    http = app.getHttpServer() as App;
    store = app.get<EventStore>(EVENT_STORE);
  });

  afterAll(async () => {
    await app?.close();
    await engine.cleanup();
    await rm(root, { recursive: true, force: true });
  });

  it('sent twice: recorded once, the retry 200 with events: [], the view counts it once', async () => {
    const campaign = `spend-twice-${randomUUID()}`;
    const spend = spendOf(campaign, 'INV-2025-0301');
    const first = (await post(spend).expect(201)).body as Recorded;
    expect(first.events).toEqual([{ eventId: first.eventId, type: 'CampaignSpendRecorded' }]);
    const retried = await post({ ...spend, occurredAt: '2025-03-02T08:00:00.000Z' }).expect(200);
    expect(retried.body).toEqual({ eventId: first.eventId, revision: first.revision, events: [] });
    expect((await spendEvents(campaign)).map((event) => event.eventId)).toEqual([first.eventId]);
    // A retry with the first attempt's expectedRevision meets a stream that moved on: held too.
    await post({ ...spend, expectedRevision: -1 }).expect(200);
    expect(await viewedSpend(campaign)).toEqual([{ EUR: '250.5' }]);
  });

  it('sent many times at once: one recorded, every other answer 200', async () => {
    const campaign = `spend-at-once-${randomUUID()}`;
    const spend = spendOf(campaign, `day-${randomUUID()}`);
    const answers = await Promise.all(Array.from({ length: 8 }, () => post(spend)));
    expect(answers.map((answer) => answer.status).sort()).toEqual([
      200, 200, 200, 200, 200, 200, 200, 201,
    ]);
    const recorded = await spendEvents(campaign);
    expect(recorded).toHaveLength(1);
    for (const answer of answers)
      expect(answer.body).toMatchObject({ eventId: recorded[0]!.eventId });
    expect(await viewedSpend(campaign)).toEqual([{ EUR: '250.5' }]);
  });

  it('the same spendId with other facts: 409 spend_conflict naming the recorded event', async () => {
    const campaign = `spend-conflict-${randomUUID()}`;
    const spendId = `INV-${randomUUID()}`;
    const first = (await post(spendOf(campaign, spendId)).expect(201)).body as Recorded;
    const otherAmount = await post({ ...spendOf(campaign, spendId), amount: 300 }).expect(409);
    expect(otherAmount.body).toMatchObject({
      code: 'spend_conflict',
      spendId,
      eventId: first.eventId,
    });
    expect((otherAmount.body as { detail: string }).detail).toContain('amount');
    // Another campaign under the same id: the id names one spend, the other campaign's.
    const elsewhere = `spend-elsewhere-${randomUUID()}`;
    const otherCampaign = await post(spendOf(elsewhere, spendId)).expect(409);
    expect(otherCampaign.body).toMatchObject({ code: 'spend_conflict', eventId: first.eventId });
    expect(await spendEvents(campaign)).toHaveLength(1);
    expect(await spendEvents(elsewhere)).toHaveLength(0);
    expect(await viewedSpend(campaign)).toEqual([{ EUR: '250.5' }]);
  });

  it('without a spendId a repeat is another spend (documented: send a spendId)', async () => {
    const campaign = `spend-no-id-${randomUUID()}`;
    await post(spendOf(campaign)).expect(201);
    await post(spendOf(campaign)).expect(201);
    expect(await spendEvents(campaign)).toHaveLength(2);
    expect(await viewedSpend(campaign)).toEqual([{ EUR: '501' }]);
  });
});
