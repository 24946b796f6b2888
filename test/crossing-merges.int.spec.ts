/**
 * Merges across processes (ADR 0015): two funnel APIs — two NestJS apps, each with its own pool,
 * lead cache and command lanes, as two processes would have — on one PostgreSQL schema. A merge
 * is decided on the merged-away lead's stream and checks its survivor; only the append's
 * condition on the survivor's stream keeps two processes from both landing A→B and B→A (a
 * cycle with no survivor), or a merge from landing on a survivor the other process is erasing.
 * Raced many times: never both, the loser gets the 422 one process gives, and the views (of
 * either API) equal a rebuild. Both APIs read their views through snapshots of the per-lead
 * funnel, one taken on each after the crossing merges and erasures and before the last
 * commands, so that the views read a snapshot and the leads changed since it: on each API every
 * view equals the one its state alone gives.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { leadStreamId } from '@tandem/domain';
import type { RecordedEvent } from '@tandem/event-store';
import request, { type Response } from 'supertest';
import type { App } from 'supertest/types';
import { asRole } from './support/auth-headers';
import {
  type FunnelApiFixture,
  startFunnelApi,
  waitForProjection,
} from './support/funnel-api.fixture';
import {
  TEST_POSTGRES_URL,
  describeWhenPostgres,
  dropSchema,
  freshSchemaName,
  postgresUnavailableReason,
} from './support/postgres';
import { readViews, viewDifferences } from './support/view-fingerprint';
import { AnalyticsQueries } from '../libs/analytics/src/views/analytics.queries';
import { everyView } from '../libs/analytics/src/testing/every-view.fixture';
import type { AnalyticsHandle } from '../apps/funnel-api/src/platform/analytics.provider';
import { ANALYTICS } from '../apps/funnel-api/src/platform/tokens';

jest.setTimeout(600_000);

const ROUNDS = 25;
const schema = freshSchemaName('crossing_merges');

const captureBody = (n: number) => ({
  contact: { name: `Duplicate ${n}`, email: `dup${n}@example.com` },
  company: { name: 'Acme', industry: 'software', size: 200, country: 'IT' },
  source: { channel: 'paid_search', campaign: 'q1-search' },
  productInterest: 'funnel_analytics',
  timeframe: '3_months',
  consent: { marketing: true },
});

describeWhenPostgres(postgresUnavailableReason())('crossing merges on two API processes', () => {
  let chdbPath: string;
  let apis: FunnelApiFixture[] = [];
  let http: App[] = [];
  let captured = 0;

  beforeAll(async () => {
    chdbPath = await mkdtemp(join(tmpdir(), 'tandem-crossing-merges-chdb-'));
    const eventStore = { kind: 'postgres', url: TEST_POSTGRES_URL, schema } as const;
    // Snapshots on at any size (the fixture's default). They were off here from c12a8a3 to
    // 2026-12-01 16:30: 3 of 6 runs once failed at the live comparison with them on (one API
    // 3-7 leads or 3 MQLs short in two or three views, its only snapshot marked while the views
    // were read), cause not found. Looked for again: 12 of 12 runs passed with snapshots on, with
    // new ones after every changed lead, in ranges of 2 and 20 rows, views read in a loop on
    // both APIs during the commands, 25-70 rounds, and each API's views through its snapshots
    // compared with its state's (docs/performance.md, "Crossing merges with the views'
    // snapshots on").
    const options = { eventStore };
    apis = [await startFunnelApi(chdbPath, options), await startFunnelApi(chdbPath, options)];
    http = apis.map((api) => api.app.getHttpServer() as App);
  });

  afterAll(async () => {
    await Promise.all(apis.map((api) => api.close()));
    await rm(chdbPath, { recursive: true, force: true });
    await dropSchema(schema);
  });

  const post = (api: number, path: string, body: object): Promise<Response> =>
    request(http[api]!)
      .post(path)
      .set(asRole('ops', `ops-${api}@example.com`))
      .send(body)
      .then((response) => response);

  /** A lead captured on one API and touched on the other, so both processes have it cached. */
  async function lead(): Promise<string> {
    const n = captured++;
    const created = await post(n % 2, '/leads', captureBody(n));
    expect(created.status).toBe(201);
    const leadId = (created.body as { leadId: string }).leadId;
    const touched = await post((n + 1) % 2, `/leads/${leadId}/touchpoints`, {
      kind: 'webinar',
      channel: 'web',
    });
    expect(touched.status).toBe(200);
    return leadId;
  }

  const analyticsOf = (api: FunnelApiFixture) => api.app.get<AnalyticsHandle>(ANALYTICS);

  const merge = (api: number, leadId: string, intoLeadId: string) =>
    post(api, `/leads/${leadId}/merge`, { intoLeadId });

  const events = (leadId: string): Promise<RecordedEvent[]> =>
    apis[0]!.store.readStream(leadStreamId(leadId));

  const mergedInto = async (leadId: string): Promise<string | null> => {
    const merged = (await events(leadId)).find((event) => event.type === 'LeadMerged');
    return merged === undefined ? null : String(merged.data.intoLeadId);
  };

  it('lets exactly one of two crossing merges land; the other gets the 422 of one process', async () => {
    // What one process answers to the second of two crossing merges.
    const [x, y] = [await lead(), await lead()];
    expect((await merge(0, x, y)).status).toBe(200);
    const single = await merge(0, y, x);
    expect(single.status).toBe(422);

    for (let round = 0; round < ROUNDS; round++) {
      const [a, b] = [await lead(), await lead()];
      const outcomes = await Promise.all([merge(0, a, b), merge(1, b, a)]);
      const statuses = outcomes.map((response) => response.status);
      expect(statuses.sort()).toEqual([200, 422]);
      const loser = outcomes.find((response) => response.status === 422)!;
      expect(loser.body).toMatchObject({
        type: (single.body as { type: string }).type,
        title: (single.body as { title: string }).title,
        status: 422,
      });
      expect(JSON.stringify(loser.body)).toMatch(/was itself merged into another lead/);
      // One cycle-free link: exactly one lead merged, into the other, which stays live.
      const links = [await mergedInto(a), await mergedInto(b)];
      expect(links.filter((link) => link !== null)).toHaveLength(1);
      expect(links[0] === b || links[1] === a).toBe(true);
    }
  });

  it('never lands a merge into a survivor the other process erased or merged away meanwhile', async () => {
    for (let round = 0; round < ROUNDS; round++) {
      const [a, b, c] = [await lead(), await lead(), await lead()];
      // a into b on one process; b erased (even rounds) or merged into c (odd) on the other.
      const other =
        round % 2 === 0 ? post(1, `/leads/${b}/erase`, { reason: 'gdpr request' }) : merge(1, b, c);
      const [intoB, onB] = await Promise.all([merge(0, a, b), other]);
      expect(onB.status).toBe(200);
      expect([200, 422]).toContain(intoB.status);
      const survivor = await events(b);
      const ended = survivor.find((e) => e.type === 'LeadErased' || e.type === 'LeadMerged')!;
      const link = (await events(a)).find((e) => e.type === 'LeadMerged');
      if (intoB.status === 200) {
        // Landed while b was live: before b's end in the one global order.
        expect(link!.globalPosition).toBeLessThan(ended.globalPosition);
      } else {
        expect(link).toBeUndefined();
        expect(JSON.stringify(intoB.body)).toMatch(
          round % 2 === 0 ? /was erased/ : /was itself merged into another lead/,
        );
      }
    }
  });

  it('answers a touch sent to the survivor on the other process as the retry it is (ADR 0016)', async () => {
    // A snapshot on each API after the merges and erasures above; the leads below change after
    // it, so the last test's views read the snapshot and those leads from the state.
    await Promise.all(http.map((server) => waitForProjection(server)));
    for (const api of apis) expect(await analyticsOf(api).queries.takeSnapshot()).not.toBeNull();
    for (let round = 0; round < 5; round++) {
      const [a, b] = [await lead(), await lead()];
      const touch = { touchpointId: `tp-cross-${round}`, kind: 'demo_request', channel: 'web' };
      expect((await post(0, `/leads/${a}/touchpoints`, touch)).status).toBe(200);
      expect((await merge(1, a, b)).status).toBe(200);
      // API 0 holds b's fold from before the merge: its decision there is checked by the store.
      const retry = await post(0, `/leads/${b}/touchpoints`, touch);
      expect(retry.status).toBe(200);
      expect(retry.body).toMatchObject({ leadId: b, events: [] });
      const types = (await events(b)).map((event) => event.type);
      expect(types).toEqual(['LeadCaptured', 'TouchpointRecorded', 'DuplicateMergedIn']);
    }
  });

  it('leaves views on both processes equal to a rebuild', async () => {
    const urls: string[] = [];
    for (const api of apis) {
      await api.app.listen(0, '127.0.0.1');
      urls.push((await api.app.getUrl()).replace('[::1]', '127.0.0.1'));
    }
    await Promise.all(http.map((server) => waitForProjection(server)));
    const live = await Promise.all(urls.map((url) => readViews(url)));
    expect(viewDifferences(live[0]!, live[1]!)).toEqual([]);
    // Each API's views through its snapshot, and the leads changed since, as its state gives them.
    for (const api of apis) {
      const analytics = analyticsOf(api);
      const state = new AnalyticsQueries(analytics.client, {
        database: analytics.database,
        reader: analytics.reader,
      });
      const rules = await state.ruleSet();
      const read = (await analytics.queries.funnelRead(rules)).read;
      expect(read?.changed.length).toBeGreaterThan(0);
      expect(await everyView(analytics.queries, rules)).toBe(await everyView(state, rules));
    }

    await request(http[0]!).post('/ops/rebuild').set(asRole('ops')).expect(202);
    await waitForProjection(http[0]!);
    const rebuilt = await readViews(urls[0]!);
    expect(viewDifferences(rebuilt, live[0]!)).toEqual([]);
  });
});
