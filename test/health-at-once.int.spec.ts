/**
 * /health answers from what the API already holds (real PGlite + chDB, through HTTP): it never
 * waits behind a long ClickHouse statement (a catch-up's staging or fast path keeps chDB busy
 * for seconds, and a probe with a 1 s timeout would fail during every rebuild), and what it
 * says stays true across a restart: dead letters written before the restart are counted at
 * once, and those a crash left beyond the checkpoint, set aside again on resume, count once.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { leadStreamId } from '@tandem/domain';
import request from 'supertest';
import type { App } from 'supertest/types';
import { v7 as uuidv7 } from 'uuid';
import { createFunnelApi } from '../apps/funnel-api/src/funnel-api';
import type { AnalyticsHandle } from '../apps/funnel-api/src/platform/analytics.provider';
import { ANALYTICS } from '../apps/funnel-api/src/platform/tokens';
import { asRole } from './support/auth-headers';
import { eventually } from './support/eventually';
import {
  type FunnelApiFixture,
  startFunnelApi,
  waitForProjection,
} from './support/funnel-api.fixture';
import { leadJourney } from './support/lead-journeys';

jest.setTimeout(180_000);

interface Health {
  projector: {
    caughtUp: boolean;
    rejectedEvents: number;
    deadLetters: { count: number; latest: { eventId: string }[] };
  };
}

let chdbPath: string;
let api: FunnelApiFixture;
beforeAll(async () => {
  chdbPath = await mkdtemp(join(tmpdir(), 'tandem-health-at-once-chdb-'));
  api = await startFunnelApi(chdbPath);
});
afterAll(async () => {
  // The API running now: the restart below replaced the fixture's own.
  await api.app.close();
  await rm(api.config.dataDir, { recursive: true, force: true });
  await rm(chdbPath, { recursive: true, force: true });
});

const http = () => api.app.getHttpServer() as App;
const health = async (server: App = http()) =>
  (await request(server).get('/health').set(asRole('ops')).expect(200)).body as Health;
const analytics = () => api.app.get<AnalyticsHandle>(ANALYTICS);

/** An event with no envelope metadata, written past the API as a buggy writer would. */
async function appendPoison(): Promise<string> {
  const eventId = uuidv7();
  await api.store.append(
    `lead-${uuidv7()}`,
    [{ eventId, type: 'LeadCaptured', schemaVersion: 1, data: {}, metadata: {} }],
    { expectedRevision: 'no_stream' },
  );
  return eventId;
}

const poison: string[] = [];

it('answers while a long ClickHouse statement still runs, and counts what is set aside', async () => {
  const journey = leadJourney(0);
  await api.store.append(leadStreamId(journey.leadId), journey.events, {
    expectedRevision: 'no_stream',
  });
  poison.push(await appendPoison(), await appendPoison());
  await waitForProjection(http());
  await eventually(
    async () => ((await health()).projector.deadLetters.count === 2 ? true : undefined),
    'both poison events are set aside',
  );

  // A statement on the API's own chDB client that runs for seconds (as a catch-up's staging
  // does), bound with parameters as the API's statements are.
  const { client } = analytics();
  let blockerDone = false;
  const blocker = client
    .query({
      query: `SELECT sum(sleepEachRow({seconds:Float64})) AS slept FROM numbers({rows:UInt32})
              SETTINGS max_block_size = 1`,
      query_params: { seconds: 0.5, rows: 10 },
      format: 'JSONEachRow',
    })
    .then((result) => result.json())
    .finally(() => {
      blockerDone = true;
    });
  const during = await health();
  // Causality, not a clock: /health answered before the statement ended, and said the truth.
  const answeredBeforeBlocker = !blockerDone;
  await blocker;
  expect(answeredBeforeBlocker).toBe(true);
  expect(during.projector.deadLetters.count).toBe(2);
  expect(during.projector.rejectedEvents).toBe(2);
  expect(during.projector.deadLetters.latest.map((letter) => letter.eventId).sort()).toEqual(
    [...poison].sort(),
  );
});

it('counts the dead letters at once after a restart, and those set aside again once', async () => {
  // As after a crash between writing rows and their checkpoint: the letters are in the table,
  // the checkpoint is not, so the restarted projection sets the same events aside again.
  const { client, database } = analytics();
  await client.command({
    query: 'TRUNCATE TABLE {db:Identifier}.projection_checkpoint',
    query_params: { db: database },
  });
  await api.app.close();
  api = { ...api, app: await createFunnelApi(api.config), close: () => Promise.resolve() };

  const atStart = await health();
  expect(atStart.projector.deadLetters.count).toBe(2);
  expect(atStart.projector.rejectedEvents).toBe(2);

  await waitForProjection(http());
  const resumed = await health();
  expect(resumed.projector.caughtUp).toBe(true);
  expect(resumed.projector.deadLetters.count).toBe(2);
  expect(resumed.projector.rejectedEvents).toBe(2);
  expect(resumed.projector.deadLetters.latest.map((letter) => letter.eventId).sort()).toEqual(
    [...poison].sort(),
  );
});
