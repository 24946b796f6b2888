/**
 * What the SIGKILL specs do to an API process from outside, once: call an ops route, wait
 * until the projection and every kept rule set are settled (asking for replays, which resume
 * after a kill), and compare the views a crashed API ends with against a clean rebuild's,
 * naming the views that differ and where. Test code only.
 */
import { randomInt } from 'node:crypto';
import type { FunnelDefinition } from '@tandem/domain';
import { Client } from 'pg';
import { asRole } from './auth-headers';
import { eventually } from './eventually';
import { TEST_POSTGRES_URL } from './postgres';
import { fingerprint, viewDifferences, type ViewBodies } from './view-fingerprint';
import type { Worker } from './worker-process';

export interface ApiHealth {
  eventStore: { headPosition: string | null };
  projector: { position: string | null; caughtUp: boolean; failure: string | null };
}

export interface ReplayView {
  id: string;
  status: 'running' | 'done' | 'failed';
  resumed: boolean;
  eventsDone: number;
  eventsTotal: number;
  error: string | null;
}

export interface KeptSets {
  active: { rulesVersion: number; definitionHash: string } | null;
  sets: {
    rulesVersion: number;
    definitionHash: string;
    status: string;
    replaying: string | null;
  }[];
}

/**
 * The seed of a crash spec's data and schedule: TANDEM_CRASH_SEED when set (to replay a run),
 * else a fresh one. Printed at once, so that a failure can be replayed whatever else the log says.
 */
export function crashSeed(spec: string): number {
  const forced = process.env.TANDEM_CRASH_SEED;
  if (forced !== undefined && forced !== '' && !/^\d{1,10}$/.test(forced)) {
    throw new Error('TANDEM_CRASH_SEED must be a whole number');
  }
  const seed = forced === undefined || forced === '' ? randomInt(2 ** 31) : Number(forced);
  console.log(`${spec}: seed ${seed} (replay with TANDEM_CRASH_SEED=${seed})`);
  return seed;
}

/** A kill: whether it caught the work under way (or came too late), and what it hit. */
export type Kill = [busy: boolean, detail: string];

/**
 * What a crash spec prints at its end, passed or failed: every kill, then its log lines, among
 * them where the time went (`took`, since the last phase; the suite's budget for every crash
 * spec is a few minutes).
 */
export function crashLog() {
  const log: string[] = [];
  const kills: Kill[] = [];
  let began = Date.now();
  return {
    log,
    kills,
    took: (phase: string) => {
      log.push(`${phase}: ${((Date.now() - began) / 1000).toFixed(1)} s`);
      began = Date.now();
    },
    print: (title: string, ...more: string[]) => {
      const killed = kills.map(
        ([busy, detail], index) =>
          `kill ${index + 1}, ${busy ? 'mid-work' : 'too late'}: ${detail}`,
      );
      console.log([title, ...killed, ...log, ...more].join('\n'));
    },
  };
}

/** The randomized delay before a kill: the point of a crash spec, not a wait for a state. */
export const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, Math.round(ms)));

export const baseUrl = (worker: Worker) => `http://127.0.0.1:${worker.port}`;

/** GET (no body) or POST `path` as ops; anything but a 2xx is thrown with its body. */
export async function opsCall<T>(worker: Worker, path: string, body?: unknown): Promise<T> {
  const response = await fetch(`${baseUrl(worker)}${path}`, {
    method: body === undefined ? 'GET' : 'POST',
    headers: { 'content-type': 'application/json', ...asRole('ops') },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  if (!response.ok) throw new Error(`${path}: ${response.status} ${await response.text()}`);
  return (await response.json()) as T;
}

/**
 * The newest position committed in a PostgreSQL store's schema, visible to readers or not.
 * The store's own head is the newest a reader can reach: while a transaction anywhere on the
 * server (another suite, a benchmark's COPY) holds the oldest snapshot back, events committed
 * since stay unreadable, and an API reports itself caught up without them. A spec that compares
 * views must wait for this position, or it compares a projection that has not seen them yet.
 */
export async function committedHead(schema: string): Promise<bigint | null> {
  const client = new Client({ connectionString: TEST_POSTGRES_URL });
  await client.connect();
  try {
    const { rows } = await client.query<{ head: string | null }>(
      `SELECT max(global_position)::text AS head FROM "${schema}".events`,
    );
    return rows[0]?.head == null ? null : BigInt(rows[0].head);
  } finally {
    await client.end();
  }
}

/**
 * Asks for every draft's replay (a killed one resumes from its checkpoint), then waits until
 * the projector has reached the store's head and every kept set is ready with no replay running.
 * With `committed` (committedHead on PostgreSQL), the head must have reached what it says too.
 * Returns the replays' last views.
 */
export async function settle(
  api: Worker,
  replayed: readonly FunnelDefinition[],
  committed?: () => Promise<bigint | null>,
): Promise<ReplayView[]> {
  const upTo = (await committed?.()) ?? null;
  const jobs: ReplayView[] = [];
  for (const draft of replayed)
    jobs.push(await opsCall<ReplayView>(api, '/ops/rules/replays', { draft }));
  const outcome = await eventually(
    async () => {
      const views: ReplayView[] = [];
      for (const job of jobs)
        views.push(await opsCall<ReplayView>(api, `/ops/rules/replays/${job.id}`));
      const failed = views.find((view) => view.status === 'failed');
      const health = await api.health<ApiHealth>();
      if (failed !== undefined || health.projector.failure !== null) {
        return { failure: failed?.error ?? health.projector.failure, views };
      }
      if (!health.projector.caughtUp || views.some((view) => view.status !== 'done')) return;
      const head = health.eventStore.headPosition;
      if (upTo !== null && (head === null || BigInt(head) < upTo)) return;
      const kept = await opsCall<KeptSets>(api, '/ops/rules');
      const quiet = kept.sets.every((set) => set.status === 'ready' && set.replaying === null);
      return quiet ? { failure: null, views } : undefined;
    },
    'the projection catches up and every rule set is ready',
    180_000,
  );
  if (outcome.failure !== null) throw new Error(`while settling: ${outcome.failure}`);
  return outcome.views;
}

/**
 * Compares the crashed API's views with the clean one's: throws which views differ, and where
 * (the first eight in full), with the seed that replays the run. Logs both fingerprints.
 */
export function expectSameViews(
  clean: ViewBodies,
  crashed: ViewBodies,
  log: string[],
  replay: string,
): void {
  const differences = viewDifferences(clean, crashed);
  log.push(
    `${crashed.size} views: clean ${fingerprint(clean).slice(0, 16)}, crashed ${fingerprint(crashed).slice(0, 16)}`,
  );
  if (differences.length === 0) return;
  const shown = 8;
  throw new Error(
    [
      `${differences.length} of ${clean.size} views differ from a clean rebuild (replay with ${replay}):`,
      ...differences.slice(0, shown),
      ...(differences.length > shown
        ? [
            `and ${differences.length - shown} more:`,
            ...differences.slice(shown).map((line) => `  ${line.split(': ')[0]}`),
          ]
        : []),
    ].join('\n'),
  );
}
