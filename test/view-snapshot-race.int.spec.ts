/**
 * Views read through snapshots of the per-lead funnel answer what the state alone answers, while
 * commands keep landing and snapshots are taken, marked and superseded beside them: a real API
 * (PGlite, its embedded projector, chDB) takes captures, touches, MQL decisions, hand-offs,
 * responses, deals, recycles, merges (chains included) and erasures from several writers at
 * once, while a reader with snapshots forced on at small sizes (several ranges per snapshot, a
 * new one after a few changed leads) reads every view. Between rounds the writers stop, the
 * projection catches up, and every view read through the snapshots — with a snapshot being
 * written at that moment, then with none — must equal, byte for byte, the same view read from
 * the state by a reader without snapshots on the same database. (A snapshot whose position is
 * read after its rows instead of before fails it: 16 MQLs through the snapshot, 19 from the
 * state.)
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import request, { type Response } from 'supertest';
import type { App } from 'supertest/types';
import { AnalyticsQueries } from '../libs/analytics/src/views/analytics.queries';
import { ReconciliationRepository } from '../libs/analytics/src/views/reconciliation/reconciliation.repository';
import { everyView } from '../libs/analytics/src/testing/every-view.fixture';
import type { AnalyticsHandle } from '../apps/funnel-api/src/platform/analytics.provider';
import { ANALYTICS } from '../apps/funnel-api/src/platform/tokens';
import { SeededRandom } from '../apps/cli/src/demo/seeded-random';
import { asRole } from './support/auth-headers';
import {
  type FunnelApiFixture,
  startFunnelApi,
  waitForProjection,
} from './support/funnel-api.fixture';

jest.setTimeout(600_000);

const ROUNDS = 3;
const WRITERS = 4;
const COMMANDS_PER_WRITER = 30;

/** The commands' draws (their interleaving is the scheduler's); named in a failure. */
const SEED = Number(process.env.TANDEM_SNAPSHOT_RACE_SEED ?? Date.now() % 1_000_000);

let chdbPath: string;
let api: FunnelApiFixture;
let http: App;
let analytics: AnalyticsHandle;
/** Views through snapshots kept at small sizes, and the same views from the state alone. */
let snapshots: AnalyticsQueries;
let state: AnalyticsQueries;

beforeAll(async () => {
  chdbPath = await mkdtemp(join(tmpdir(), 'tandem-snapshot-race-chdb-'));
  // The API's own views take no snapshot (too few leads): the reader below is the only writer
  // of snapshots in its database.
  api = await startFunnelApi(chdbPath, { viewSnapshotMinLeads: 1_000_000 });
  http = api.app.getHttpServer() as App;
  analytics = api.app.get<AnalyticsHandle>(ANALYTICS);
  snapshots = new AnalyticsQueries(analytics.client, {
    database: analytics.database,
    reader: analytics.reader,
    snapshots: {
      minLeads: 0,
      refreshAfterChanged: 2,
      maxChanged: 1_000,
      minIntervalMs: 0,
      retryAfterMs: 0,
      chunkRows: 2,
      // Reads go first for this long per range: a snapshot spans many commands.
      yieldMs: 100,
    },
  });
  state = new AnalyticsQueries(analytics.client, {
    database: analytics.database,
    reader: analytics.reader,
  });
});

afterAll(async () => {
  await snapshots?.close();
  await api?.close();
  await rm(chdbPath, { recursive: true, force: true });
});

const post = (path: string, body: object = {}): Promise<Response> =>
  request(http)
    .post(path)
    .set(asRole('ops', 'race@example.com'))
    .send(body)
    .then((response) => response);

const channels = ['web', 'paid_search', 'webinar', 'trade_fair'];
const leads: string[] = [];
let captured = 0;

async function capture(next: () => number): Promise<void> {
  const n = captured++;
  const response = await post('/leads', {
    contact: { name: `Racer ${n}`, email: `racer${n}@example.com` },
    company: {
      name: `Company ${n % 7}`,
      industry: next() < 0.7 ? 'software' : 'retail',
      size: next() < 0.6 ? 250 : 20,
      country: 'IT',
    },
    source: { channel: channels[n % channels.length]!, campaign: `campaign-${n % 3}` },
    productInterest: 'funnel_analytics',
    timeframe: next() < 0.5 ? '3_months' : '12_months',
    consent: { marketing: true },
    ...(n % 4 === 0 ? { accountId: `account-${n % 3}` } : {}),
  });
  expect(response.status).toBe(201);
  leads.push((response.body as { leadId: string }).leadId);
}

/** Commands that landed, by route (the last path segment). */
const landed = new Map<string, number>();

/** One command on a random lead; refusals (422, 409) are outcomes like any other. */
async function command(next: () => number): Promise<void> {
  if (leads.length < 4 || next() < 0.15) return capture(next);
  const pick = () => leads[Math.floor(next() * leads.length)]!;
  const lead = pick();
  const roll = next();
  const steps: [number, string, () => object][] = [
    [
      0.22,
      'touchpoints',
      () => ({
        kind: next() < 0.5 ? 'demo_request' : 'webinar',
        channel: channels[Math.floor(next() * channels.length)]!,
      }),
    ],
    [0.34, 'mql', () => ({})],
    [0.44, 'handoff', () => ({ owner: `owner-${Math.floor(next() * 3)}`, team: 'emea' })],
    [0.47, 'sales-sourced-handoff', () => ({ owner: 'owner-9', team: 'emea', source: 'referral' })],
    [0.55, 'accept', () => ({})],
    [0.59, 'reject', () => ({ reason: 'no_budget' })],
    [0.65, 'sql', () => ({ criteriaMet: ['budget', 'need', 'timeline'] })],
    [
      0.71,
      'opportunity',
      () => ({
        stage: 'discovery',
        amount: 1000 + Math.floor(next() * 9000),
        currency: 'EUR',
      }),
    ],
    [0.76, 'won', () => ({ amount: 5000 })],
    [0.79, 'lost', () => ({ reason: 'competitor' })],
    [0.82, 'recycle', () => ({ reason: 'too_early' })],
    // Merges into any lead: chains, merges into merged or erased leads (refused), crossings.
    [0.96, 'merge', () => ({ intoLeadId: pick() })],
    [1, 'erase', () => ({ reason: 'gdpr request' })],
  ];
  const [, route, body] = steps.find(([upTo]) => roll < upTo)!;
  const path = `/leads/${lead}/${route}`;
  const response = await post(path, body());
  if (response.status === 200) landed.set(route, (landed.get(route) ?? 0) + 1);
  if (![200, 409, 422].includes(response.status)) {
    throw new Error(`POST ${path}: ${response.status} ${JSON.stringify(response.body)}`);
  }
}

/** Every view, and the reconciliation's verdict, as one reader answers them now. */
async function views(queries: AnalyticsQueries): Promise<string> {
  const rules = await state.ruleSet();
  const reconciliation = new ReconciliationRepository(
    analytics.client,
    { database: analytics.database },
    queries,
  );
  const verdict = await reconciliation.reconcile({ rules });
  return `${await everyView(queries, rules)}\n${JSON.stringify(verdict, null, 1)}`;
}

/** The first line where two answers part, with a few around it. */
function firstDifference(expected: string, actual: string): string {
  const want = expected.split('\n');
  const got = actual.split('\n');
  const at = want.findIndex((line, index) => line !== got[index]);
  const from = Math.max(0, at - 6);
  return [
    `seed ${SEED}, line ${at}`,
    'state:',
    ...want.slice(from, at + 4),
    'snapshot:',
    ...got.slice(from, at + 4),
  ].join('\n');
}

it('answers every view through the snapshots as the state does, while they are taken beside commands', async () => {
  const seeded = new SeededRandom(SEED);
  const next = () => seeded.next();
  // The definition reaches analytics with the first projected events.
  for (let i = 0; i < 4; i++) await capture(next);
  await waitForProjection(http);
  let compared = 0;
  for (let round = 0; round < ROUNDS; round++) {
    // Writers and a reader at once: the reader's views start snapshots in the background, and
    // the day rollups and attribution credits kept per snapshot.
    let writing = true;
    const reader = (async () => {
      const rules = await snapshots.ruleSet();
      while (writing) {
        // Each finds the leads changed since the latest snapshot and starts the next one.
        await snapshots.sharedFunnel({ rules });
        await snapshots.funnelTrend('month', { rules });
        await snapshots.marketingAttribution('linear', { rules });
      }
    })();
    await Promise.all(
      Array.from({ length: WRITERS }, async () => {
        for (let i = 0; i < COMMANDS_PER_WRITER; i++) await command(next);
      }),
    );
    writing = false;
    await reader;
    await waitForProjection(http);

    // A snapshot being written (and marked) while the views are read, then none.
    const expected = await views(state);
    const taking = snapshots.takeSnapshot(await state.ruleSet());
    const during = await views(snapshots);
    await taking;
    await snapshots.snapshotSettled();
    const after = await views(snapshots);
    for (const actual of [during, after]) {
      if (actual !== expected) throw new Error(firstDifference(expected, actual));
      compared++;
    }
  }
  expect(compared).toBe(2 * ROUNDS);
  // What the rounds went through: merges and erasures landed, and snapshots were marked beside
  // the commands, besides the one taken per round (superseded ones keep their markers for the
  // grace period).
  expect(landed.get('merge')).toBeGreaterThan(0);
  expect(landed.get('erase')).toBeGreaterThan(0);
  const markers = await analytics.client.query({
    query: 'SELECT count() AS n FROM {db:Identifier}.lead_funnel_snapshot_markers',
    query_params: { db: analytics.database },
    format: 'JSONEachRow',
  });
  const [marked] = await markers.json<{ n: string }>();
  expect(Number(marked?.n)).toBeGreaterThan(ROUNDS);
});
