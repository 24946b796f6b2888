/**
 * Idempotency-Key over HTTP on real engines (PGlite on disk, and the local PostgreSQL):
 * replays, refusals, concurrent duplicates, a connection dropped after the append and before
 * the response, a process that dies there, and keys that outlive a restart. Every case counts
 * the events in the store: a retry must never append a second one.
 */
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { request as httpRequest } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { INestApplication } from '@nestjs/common';
import { loadConfig, type TandemConfig } from '@tandem/config';
import { campaignStreamId, leadStreamId } from '@tandem/domain';
import type { EventStore } from '@tandem/event-store';
import request from 'supertest';
import type { App } from 'supertest/types';
import { eventually } from '@tandem/testing';
import { apiStoreEngines } from '../../../../../test/support/api-store-engines';
import { asRole, testAuthEnv } from '../../../../../test/support/auth-headers';
import { createFunnelApi } from '../../funnel-api';
import { EVENT_STORE } from '../../platform/tokens';

jest.setTimeout(180_000);

const engines = apiStoreEngines('idempotency API specs', 'idem_api');

const LEASE_SECONDS = 1;
const headers = (key: string) => ({
  ...asRole('marketing', 'idempotency-tester'),
  'idempotency-key': key,
});
const spend = (campaign: string, amount = 1200) => ({
  campaign,
  channel: 'paid_search',
  amount,
  currency: 'EUR',
  spentOn: '2025-03-01',
});

describe.each(engines)('Idempotency-Key on $name', (engine) => {
  let root: string;
  let chdbPath: string;
  let api: RunningApi;
  let sequence = 0;

  interface RunningApi {
    readonly app: INestApplication;
    readonly http: App;
    readonly store: EventStore;
    readonly port: number;
  }

  /** An API on this suite's one store; analytics (chDB) in a database of its own. */
  async function startApi(): Promise<RunningApi> {
    const loaded = loadConfig({
      ...engine.env(join(root, 'data')),
      TANDEM_PORT: '0',
      TANDEM_LOG_LEVEL: 'error',
      TANDEM_PROJECTOR: 'off',
      TANDEM_IDEMPOTENCY_LEASE_SECONDS: String(LEASE_SECONDS),
      ...testAuthEnv(),
    });
    const config: TandemConfig = {
      ...loaded,
      clickhouse: {
        mode: 'embedded',
        path: chdbPath,
        database: `idem_${process.pid}_${Date.now()}_${sequence++}`,
      },
    };
    const app = await createFunnelApi(config);
    await app.listen(0, '127.0.0.1');
    const port = (app.getHttpServer() as { address(): AddressInfo }).address().port;
    return { app, http: app.getHttpServer() as App, store: app.get<EventStore>(EVENT_STORE), port };
  }

  const post = (path: string, key: string, body: object) =>
    request(api.http).post(path).set(headers(key)).send(body);
  const streamLength = async (streamId: string) => (await api.store.readStream(streamId)).length;

  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'tandem-idem-api-'));
    chdbPath = join(root, 'chdb');
    api = await startApi();
  });

  afterAll(async () => {
    await api?.app.close();
    await engine.cleanup();
    await rm(root, { recursive: true, force: true });
  });

  afterEach(() => jest.restoreAllMocks());

  it('same key, same body: the first response again, one event', async () => {
    const campaign = `idem-${randomUUID()}`;
    const key = randomUUID();
    const first = await post('/campaign-spend', key, spend(campaign)).expect(201);
    expect(first.headers['idempotent-replayed']).toBeUndefined();
    // The same body with its keys in another order is the same request.
    const { amount, ...rest } = spend(campaign);
    const again = await post('/campaign-spend', key, { amount, ...rest }).expect(201);
    // The same bytes, not only the same document: a client may hash or sign what it got.
    expect(again.text).toBe(first.text);
    expect(again.headers['idempotent-replayed']).toBe('true');
    expect(await streamLength(campaignStreamId(campaign))).toBe(1);
  });

  it('same key, another body: 422, nothing appended', async () => {
    const campaign = `idem-${randomUUID()}`;
    const key = randomUUID();
    await post('/campaign-spend', key, spend(campaign)).expect(201);
    const refused = await post('/campaign-spend', key, spend(campaign, 999)).expect(422);
    expect(refused.body).toMatchObject({ code: 'idempotency_key_reused' });
    expect(await streamLength(campaignStreamId(campaign))).toBe(1);
  });

  it('keys are per caller and per route: the same key elsewhere is another request', async () => {
    const campaign = `idem-${randomUUID()}`;
    const key = randomUUID();
    await post('/campaign-spend', key, spend(campaign)).expect(201);
    await request(api.http)
      .post('/campaign-spend')
      .set({ ...asRole('marketing', 'someone-else'), 'idempotency-key': key })
      .send(spend(campaign))
      .expect(201);
    expect(await streamLength(campaignStreamId(campaign))).toBe(2);
  });

  it("a lead's route in any spelling is one request: the retry is replayed, one event", async () => {
    const captured = await request(api.http)
      .post('/leads')
      .set(asRole('marketing', 'idempotency-tester'))
      .send({
        contact: { name: 'Ada Example', email: 'ada@example.com' },
        company: { name: 'Acme' },
        source: { channel: 'web' },
        consent: { marketing: true },
      })
      .expect(201);
    const leadId = (captured.body as { leadId: string }).leadId;
    const key = randomUUID();
    // No touchpointId: the API mints one per request, so only the key keeps a retry single.
    const touch = { kind: 'webinar', channel: 'web' };
    const first = await post(`/leads/${leadId}/touchpoints`, key, touch).expect(200);
    // Every spelling Express and the lead id pipe route to the same lead and handler.
    for (const path of [
      `/leads/${leadId.toUpperCase()}/touchpoints`,
      `/leads/${leadId}/touchpoints/`,
      `/LEADS/${leadId}/Touchpoints`,
      `/leads/%20${leadId}/touchpoints`,
    ]) {
      const again = await post(path, key, touch).expect(200);
      expect(again.headers['idempotent-replayed']).toBe('true');
      expect(again.text).toBe(first.text);
    }
    expect(await streamLength(leadStreamId(leadId))).toBe(2);
  });

  it('a bad key is a 400 and writes nothing; no key means no idempotency', async () => {
    const campaign = `idem-${randomUUID()}`;
    // Empty (bare or as an empty Structured Field string), 10 kB, control and non-ASCII characters.
    for (const bad of ['', '""', 'x'.repeat(256), 'k'.repeat(10_000), 'tab\there', 'ünïcode']) {
      const refused = await request(api.http)
        .post('/campaign-spend')
        .set({ ...headers('unused'), 'idempotency-key': bad })
        .send(spend(campaign))
        .expect(400);
      expect(refused.body).toMatchObject({ code: 'invalid_idempotency_key' });
    }
    // Two lines, which Node joins into one value (`a1, a2`): that is no key the client sent.
    const twice = await request(api.http)
      .post('/campaign-spend')
      .set(headers('unused'))
      .set('idempotency-key', ['a1', 'a2'] as unknown as string)
      .send(spend(campaign))
      .expect(400);
    expect(twice.body).toMatchObject({
      code: 'invalid_idempotency_key',
      detail: 'Idempotency-Key header must be sent once',
    });
    expect(await streamLength(campaignStreamId(campaign))).toBe(0);
    const plain = asRole('marketing');
    await request(api.http).post('/campaign-spend').set(plain).send(spend(campaign)).expect(201);
    await request(api.http).post('/campaign-spend').set(plain).send(spend(campaign)).expect(201);
    expect(await streamLength(campaignStreamId(campaign))).toBe(2);
  });

  it('a refused request is not stored: the same key runs again once it can succeed', async () => {
    const key = randomUUID();
    const leadId = randomUUID();
    const touchpoint = { kind: 'webinar', channel: 'web' };
    await post(`/leads/${leadId}/touchpoints`, key, touchpoint).expect(404);
    await request(api.http)
      .post('/leads')
      .set(asRole('marketing'))
      .send({
        leadId,
        contact: { name: 'Ada', email: 'ada@example.com' },
        company: { name: 'Acme', industry: 'software', size: 250, country: 'IT' },
        source: { channel: 'web' },
        productInterest: 'funnel_analytics',
        timeframe: '3_months',
        consent: { marketing: true },
      })
      .expect(201);
    const done = await post(`/leads/${leadId}/touchpoints`, key, touchpoint).expect(200);
    const replayed = await post(`/leads/${leadId}/touchpoints`, key, touchpoint).expect(200);
    // Byte for byte: the stored answer keeps the order of its keys (jsonb would not).
    expect(replayed.text).toBe(done.text);
    expect(await streamLength(leadStreamId(leadId))).toBe(2);
  });

  it('concurrent duplicates: one event; the others are told it is in flight or get the replay', async () => {
    const campaign = `idem-${randomUUID()}`;
    const key = randomUUID();
    const responses = await Promise.all(
      Array.from({ length: 6 }, () => post('/campaign-spend', key, spend(campaign))),
    );
    const statuses = responses.map((response) => response.status);
    expect(statuses.filter((status) => status === 201).length).toBeGreaterThanOrEqual(1);
    expect(statuses.every((status) => status === 201 || status === 409)).toBe(true);
    const eventIds = new Set(
      responses
        .filter((response) => response.status === 201)
        .map((response) => (response.body as { eventId: string }).eventId),
    );
    expect(eventIds.size).toBe(1);
    expect(await streamLength(campaignStreamId(campaign))).toBe(1);
  });

  it('a connection dropped after the append and before the response: the retry gets the original response, one event', async () => {
    const campaign = `idem-${randomUUID()}`;
    const key = randomUUID();
    const body = spend(campaign);
    const appended = deferred<string>();
    const respond = deferred<void>();
    const append = api.store.append.bind(api.store);
    jest.spyOn(api.store, 'append').mockImplementation(async (streamId, events, options) => {
      const result = await append(streamId, events, options);
      appended.resolve(events[0]?.eventId ?? '');
      await respond.promise; // the response is held back until the client has gone
      return result;
    });

    const client = httpRequest({
      host: '127.0.0.1',
      port: api.port,
      method: 'POST',
      path: '/campaign-spend',
      headers: { ...headers(key), 'content-type': 'application/json' },
    });
    const clientGone = new Promise<void>((resolve) => client.on('close', resolve));
    client.on('error', () => {}); // the socket is destroyed on purpose
    client.end(JSON.stringify(body));
    const eventId = await appended.promise;
    client.destroy();
    await clientGone;
    respond.resolve();

    const retried = await eventually(async () => {
      const response = await post('/campaign-spend', key, body);
      return response.status === 409 ? undefined : response;
    }, 'the first attempt finishes');
    expect(retried.status).toBe(201);
    expect(retried.headers['idempotent-replayed']).toBe('true');
    expect(retried.body).toEqual({
      eventId,
      revision: 0,
      events: [{ eventId, type: 'CampaignSpendRecorded' }],
    });
    const events = await api.store.readStream(campaignStreamId(campaign));
    expect(events.map((event) => event.eventId)).toEqual([eventId]);
  });

  it('a process that dies after the append, before storing the response: the next process answers from the recorded event, one event', async () => {
    const leadId = randomUUID();
    const key = randomUUID();
    await request(api.http)
      .post('/leads')
      .set(asRole('marketing'))
      .send({
        leadId,
        contact: { name: 'Grace', email: 'grace@example.com' },
        company: { name: 'Acme', industry: 'software', size: 250, country: 'IT' },
        source: { channel: 'web' },
        productInterest: 'funnel_analytics',
        timeframe: '3_months',
        consent: { marketing: true },
      })
      .expect(201);
    const touchpoint = { kind: 'demo_request', channel: 'web' };
    const appended = deferred<string>();
    const append = api.store.append.bind(api.store);
    jest.spyOn(api.store, 'append').mockImplementation(async (streamId, events, options) => {
      await append(streamId, events, options);
      appended.resolve(events[0]?.eventId ?? '');
      return new Promise<never>(() => {}); // the process "dies" here: nothing after runs
    });
    const client = httpRequest({
      host: '127.0.0.1',
      port: api.port,
      method: 'POST',
      path: `/leads/${leadId}/touchpoints`,
      headers: { ...headers(key), 'content-type': 'application/json' },
    });
    client.on('error', () => {});
    const clientGone = new Promise<void>((resolve) => client.on('close', resolve));
    client.end(JSON.stringify(touchpoint));
    const eventId = await appended.promise;
    client.destroy();
    await clientGone;
    await api.app.close();
    jest.restoreAllMocks();

    api = await startApi();
    const recovered = await eventually(async () => {
      const response = await post(`/leads/${leadId}/touchpoints`, key, touchpoint);
      return response.status === 409 ? undefined : response; // until the dead attempt's lease ends
    }, 'the dead attempt’s lease ends');
    expect(recovered.status).toBe(200);
    expect(recovered.headers['idempotent-replayed']).toBe('true');
    // The touch route's own answer, not a field more (recovered-response.ts).
    expect(recovered.body).toEqual({
      leadId,
      revision: 1,
      events: [{ eventId, type: 'TouchpointRecorded' }],
    });
    const replayed = await post(`/leads/${leadId}/touchpoints`, key, touchpoint).expect(200);
    expect(replayed.body).toEqual(recovered.body);
    expect(await streamLength(leadStreamId(leadId))).toBe(2);
  });

  it('keys survive a restart: another process on the same store replays the response', async () => {
    const campaign = `idem-${randomUUID()}`;
    const key = randomUUID();
    const first = await post('/campaign-spend', key, spend(campaign)).expect(201);
    await api.app.close();
    api = await startApi();
    const again = await post('/campaign-spend', key, spend(campaign)).expect(201);
    expect(again.text).toBe(first.text);
    expect(again.headers['idempotent-replayed']).toBe('true');
    await post('/campaign-spend', key, spend(campaign, 5)).expect(422);
    expect(await streamLength(campaignStreamId(campaign))).toBe(1);
  });

  it('POST /ops/rebuild opts out: the header is ignored there', async () => {
    // Not a command: with the projector off it is refused every time, never replayed.
    for (let attempt = 0; attempt < 2; attempt++) {
      const response = await request(api.http)
        .post('/ops/rebuild')
        .set({ ...asRole('ops'), 'idempotency-key': 'rebuild-once' })
        .expect(409);
      expect(response.headers['idempotent-replayed']).toBeUndefined();
    }
  });
});

function deferred<T>(): { promise: Promise<T>; resolve: (value: T) => void } {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((settle) => {
    resolve = settle;
  });
  return { promise, resolve };
}
