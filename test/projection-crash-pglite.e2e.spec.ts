/**
 * Exact under crashes on the embedded defaults (issue 10, item 4): the API with its PGlite store
 * and its embedded projector, SIGKILLed at randomized moments while it catches up on a backlog
 * (set-based, PGlite exporting slices as CSV for chDB), while it takes live commands (the
 * store's engine writing, the projector following), and while it rebuilds; restarted each time.
 * Once caught up, every view under the active rule set must be byte for byte what a clean
 * projection of the same store gives (the crashed API's PGlite directory, copied after a clean
 * stop, under a second API with empty analytics). projection-crash.e2e.spec.ts does the same on
 * PostgreSQL with rules replays and the Kafka-fed projector.
 *
 * PGlite is one process's: the backlog is appended by this test while no API runs, and the
 * live commands go through the API's HTTP port. TANDEM_CRASH_SEED=<seed> replays the data and
 * the schedule (the printed seed).
 */
import { cp, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createEventStore } from '@tandem/event-store';
import { leadStreamId } from '@tandem/domain';
import { captureRequest, journeyAfterCapture, type JourneyRequest } from '../bench/bench.journeys';
import { SeededRandom } from '../apps/cli/src/demo/seeded-random';
import { asRole } from './support/auth-headers';
import { crashSeed } from './support/crash-api';
import { eventually } from './support/eventually';
import { pgliteUnavailableReason } from './support/postgres';
import { scoredLeads } from './support/scored-leads';
import { fingerprint, readViews, viewDifferences } from './support/view-fingerprint';
import { startWorker, type Worker } from './support/worker-process';

jest.setTimeout(900_000);

const seed = crashSeed('projection-crash-pglite');

/** Rounds of backlog, live commands and (every other round) a rebuild: three kills each. */
const ROUNDS = 3;
/** Leads appended while the API is down, per round (about 1,400 events). */
const BACKLOG_LEADS = 250;
/** Leads sent through the API per round, 11 commands each, 8 at a time. */
const LIVE_LEADS = 60;

interface Health {
  eventStore: { headPosition: string | null };
  projector: { position: string | null; caughtUp: boolean; failure: string | null };
}

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, Math.round(ms)));

const unavailable = pgliteUnavailableReason();
const describeWhenPglite = unavailable === null ? describe : describe.skip;
if (unavailable !== null) console.log(`PGlite crash spec skipped: ${unavailable}`);

describeWhenPglite('SIGKILL at random moments, embedded PGlite store', () => {
  const workers: Worker[] = [];
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'tandem-crash-pglite-'));
  });
  afterAll(async () => {
    for (const worker of workers) await worker.kill('SIGKILL');
    await rm(dir, { recursive: true, force: true });
  });

  const env = (dataDir: string) => ({
    TANDEM_EVENT_STORE: 'pglite',
    TANDEM_DATA_DIR: dataDir,
    // Set-based catch-up from a few hundred events behind, in small slices: kills land inside.
    TANDEM_BULK_CATCHUP_MIN_EVENTS: '300',
    TANDEM_BULK_CATCHUP_SLICE_EVENTS: '700',
    // The views' snapshots of this small store too, so that kills land in their writes.
    TANDEM_VIEW_SNAPSHOT_MIN_LEADS: '0',
    TANDEM_LOG_LEVEL: 'warn',
  });

  async function start(dataDir: string): Promise<Worker> {
    const worker = await startWorker('funnel-api', env(dataDir), 120_000);
    workers.push(worker);
    return worker;
  }

  async function stop(worker: Worker, signal: NodeJS.Signals): Promise<void> {
    await worker.kill(signal);
    workers.splice(workers.indexOf(worker), 1);
  }

  /** Until the projector is at the store's head, with the active rule set ready. */
  async function settled(api: Worker): Promise<void> {
    await eventually(
      async () => {
        const health = await api.health<Health>();
        if (health.projector.failure !== null) {
          throw new Error(`projector failed: ${health.projector.failure}`);
        }
        if (!health.projector.caughtUp) return undefined;
        const response = await fetch(`http://127.0.0.1:${api.port}/ops/rules`, {
          headers: asRole('ops'),
        });
        const kept = (await response.json()) as { sets: { status: string }[] };
        return kept.sets.every((set) => set.status === 'ready') ? true : undefined;
      },
      'the projection catches up with every rule set ready',
      180_000,
    );
  }

  const busy = async (api: Worker) => !(await api.health<Health>()).projector.caughtUp;

  /** Appends a backlog with no API running: the store opened here, then closed. */
  async function appendBacklog(pglite: string, round: number, used: Set<string>) {
    const store = await createEventStore({ kind: 'pglite', dataDir: pglite, schema: 'tandem' });
    try {
      const start = Date.UTC(2025, 9 + round, 1);
      let events = 0;
      for (const lead of scoredLeads(BACKLOG_LEADS, seed + 104_729 * (round + 1), start, {
        visitors: true,
      })) {
        const streams = [
          { id: leadStreamId(lead.leadId), events: lead.events },
          ...lead.visitorStreams.map((visitor) => ({
            id: visitor.streamId,
            events: visitor.events,
          })),
        ];
        const ids = [lead.leadId, ...streams.flatMap((s) => s.events.map((e) => e.eventId))];
        if (ids.some((id) => used.has(id))) continue;
        for (const id of ids) used.add(id);
        for (const stream of streams) {
          await store.append(stream.id, stream.events, { expectedRevision: 'no_stream' });
          events += stream.events.length;
        }
      }
      return events;
    } finally {
      await store.close();
    }
  }

  /** One lead's commands through the API, in order; a killed API ends them. */
  async function sendJourney(api: Worker, leadId: string, label: string): Promise<void> {
    const requests: JourneyRequest[] = [
      captureRequest(leadId, label),
      ...journeyAfterCapture(leadId),
    ];
    for (const request of requests) {
      const response = await fetch(`http://127.0.0.1:${api.port}${request.path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...asRole(request.role) },
        body: JSON.stringify(request.body),
      });
      if (response.status === 422 && request.gate === true) return;
      if (response.status >= 300) {
        throw new Error(`${request.path}: ${response.status} ${await response.text()}`);
      }
    }
  }

  it('every view equals a clean rebuild after kills in catch-up, live commands and rebuilds', async () => {
    const rng = new SeededRandom(seed);
    const crashed = join(dir, 'crashed');
    const pglite = join(crashed, 'pglite');
    const used = new Set<string>();
    const log: string[] = [];
    const kills: boolean[] = [];

    // First start: the API creates the store and publishes the shipped dictionary.
    let api = await start(crashed);
    await settled(api);
    await stop(api, 'SIGTERM');

    let catchUpMs = 1_500;
    let rebuildMs = 1_500;
    for (let round = 0; round < ROUNDS; round++) {
      // A backlog, and a kill while the restarted API catches up on it.
      const events = await appendBacklog(pglite, round, used);
      const began = Date.now();
      api = await start(crashed);
      const delay = rng.next() * catchUpMs;
      await pause(delay);
      const catchingUp = await busy(api);
      await stop(api, 'SIGKILL');
      kills.push(catchingUp);
      log.push(
        `kill ${kills.length}, catch-up of ${events} events, ${catchingUp ? 'mid-work' : 'too late'}: ${Math.round(delay)} ms after the API answered (${Date.now() - began} ms since start)`,
      );
      if (!catchingUp) catchUpMs = Math.max(200, delay * 0.7);

      // Live commands, and a kill among them (the store's engine and the projector both busy).
      api = await start(crashed);
      await settled(api);
      const leads = Array.from({ length: LIVE_LEADS }, () => rng.uuid());
      let sent = 0;
      const sending = (async () => {
        for (let lane = leads.splice(0, 8); lane.length > 0; lane = leads.splice(0, 8)) {
          await Promise.all(lane.map((leadId) => sendJourney(api, leadId, `Crash${round}`)));
          sent += lane.length;
        }
      })().catch(() => undefined); // the kill cuts requests off mid-flight
      await pause(300 + rng.next() * 1_200);
      const following = sent < LIVE_LEADS;
      await stop(api, 'SIGKILL');
      await sending;
      kills.push(following);
      log.push(
        `kill ${kills.length}, live commands, ${following ? 'mid-work' : 'too late'}: ${sent} of ${LIVE_LEADS} leads' journeys done`,
      );

      // A rebuild, killed on its way (every other round; the restart then resumes it as a
      // catch-up from what the rebuild had written).
      if (round % 2 === 0) {
        api = await start(crashed);
        await settled(api);
        const response = await fetch(`http://127.0.0.1:${api.port}/ops/rebuild`, {
          method: 'POST',
          headers: asRole('ops'),
        });
        expect(response.status).toBe(202);
        const delay = rng.next() * rebuildMs;
        await pause(delay);
        const rebuilding = await busy(api);
        await stop(api, 'SIGKILL');
        kills.push(rebuilding);
        log.push(
          `kill ${kills.length}, rebuild, ${rebuilding ? 'mid-work' : 'too late'}: ${Math.round(delay)} ms after POST /ops/rebuild`,
        );
        if (!rebuilding) rebuildMs = Math.max(200, delay * 0.7);
      }
    }

    // The crashed API, caught up; then stopped cleanly so its store can be copied.
    api = await start(crashed);
    await settled(api);
    const after = await readViews(`http://127.0.0.1:${api.port}`);
    await stop(api, 'SIGTERM');

    const clean = join(dir, 'clean');
    await cp(pglite, join(clean, 'pglite'), { recursive: true });
    const fresh = await start(clean);
    await settled(fresh);
    const expected = await readViews(`http://127.0.0.1:${fresh.port}`);
    await stop(fresh, 'SIGTERM');

    log.push(
      `${after.size} views: clean ${fingerprint(expected).slice(0, 16)}, crashed ${fingerprint(after).slice(0, 16)}`,
    );
    console.log(log.join('\n'));
    expect(viewDifferences(expected, after)).toEqual([]);
    // The kills must have caught the API at work, not only idle: most of them did.
    expect(kills.filter(Boolean).length).toBeGreaterThanOrEqual(Math.ceil(kills.length / 2));
  });
});
