/**
 * bench:live's background writer (`--bulk-fill-to N`), in a process of its own (forked by
 * live.ts), as an importer or another replica beside the API would be: it appends realistic
 * histories of new leads (bench.history.ts, a seed of its own so no stream is the API's)
 * through the store's bulk path (`appendToNewStreams`), paced from the store itself: every
 * tick it reads the head position and appends whole leads until everything the store received
 * since `start` (the API's appends and its own) reaches `target` events a second.
 *
 * Must never: append to a stream that exists (whole leads only, new ids), write before the
 * parent says `start` or after it says `stop`, or count its generation as the API's work.
 */
import 'reflect-metadata';
import { createPostgresEventStore, type BulkEvent } from '@tandem/event-store';
import { ActiveDefinition } from '../apps/funnel-api/src/definitions/active-definition.service';
import { historyChunks } from './bench.history';

export interface BulkFillTask {
  readonly url: string;
  readonly schema: string;
  /** Events a second the store should receive in all (API + this writer). */
  readonly target: number;
  /** The schedule's length: the writer stops then even if `stop` comes later. */
  readonly seconds: number;
  readonly seed: number;
}

export type BulkFillCommand = { readonly type: 'start' } | { readonly type: 'stop' };

export interface BulkFillResult {
  readonly events: number;
  readonly leads: number;
  readonly appends: number;
  readonly appendMs: readonly number[];
  /** Events the writer still owed the target when told to stop (0: on pace). */
  readonly behind: number;
}

export type BulkFillReport =
  | { readonly type: 'ready' }
  | { readonly type: 'result'; readonly result: BulkFillResult }
  | { readonly type: 'error'; readonly message: string };

const TICK_MS = 100;
const DAY = 86_400_000;

async function run(task: BulkFillTask): Promise<void> {
  const store = await createPostgresEventStore({
    connectionString: task.url,
    schema: task.schema,
    poolSize: 2,
  });
  try {
    // The definition in force, read as the API reads it (the stream exists: nothing is written).
    const definitions = new ActiveDefinition(store);
    await definitions.onModuleInit();
    const { definition } = await definitions.active();
    // Captures a month back from now: recent business, far from the live bench's samples
    // (three days back), in the periods the funnel view is asked about.
    const leads = historyChunks({
      seed: task.seed,
      leadEvents: Math.ceil(task.target * task.seconds * 2) + 1000,
      until: new Date(Date.now() - DAY),
      months: 1,
      chunkLeads: 1,
      definition,
    });
    const commands = listen();
    await send({ type: 'ready' });
    await commands.started;

    const startedAt = performance.now();
    const head0 = (await store.headPosition()) ?? 0n;
    const maxPerTick = Math.max(1, Math.ceil(task.target / 2));
    let events = 0;
    let leadCount = 0;
    let appends = 0;
    let behind = 0;
    const appendMs: number[] = [];
    // A parent whose clients wait on slow requests says `stop` late: the schedule ends on time.
    const endsAt = startedAt + task.seconds * 1000;
    while (!commands.stopped && performance.now() < endsAt) {
      const head = (await store.headPosition()) ?? 0n;
      const due = (task.target * (performance.now() - startedAt)) / 1000;
      behind = Math.max(0, Math.floor(due - Number(head - head0)));
      const batch: BulkEvent[] = [];
      while (batch.length < Math.min(behind, maxPerTick)) {
        const next = leads.next();
        if (next.done === true) throw new Error('the generator ran out of leads');
        batch.push(...next.value.events);
        leadCount += next.value.leads;
      }
      if (batch.length > 0) {
        const at = performance.now();
        await store.appendToNewStreams(batch);
        appendMs.push(performance.now() - at);
        events += batch.length;
        appends++;
      } else {
        await new Promise((resolve) => setTimeout(resolve, TICK_MS));
      }
    }
    await commands.whenStopped; // the parent reads the result when it says stop
    await send({ type: 'result', result: { events, leads: leadCount, appends, appendMs, behind } });
  } finally {
    await store.close();
  }
}

function listen(): {
  started: Promise<void>;
  whenStopped: Promise<void>;
  readonly stopped: boolean;
} {
  let stopped = false;
  let start: () => void = () => undefined;
  let stop: () => void = () => undefined;
  const started = new Promise<void>((resolve) => (start = resolve));
  const whenStopped = new Promise<void>((resolve) => (stop = resolve));
  process.on('message', (command: BulkFillCommand) => {
    if (command.type === 'start') start();
    else {
      stopped = true;
      stop();
    }
  });
  return {
    started,
    whenStopped,
    get stopped() {
      return stopped;
    },
  };
}

function send(report: BulkFillReport): Promise<void> {
  return new Promise((resolve, reject) => {
    if (!process.send) throw new Error('bench.bulk-fill-worker must be forked with an IPC channel');
    process.send(report, (error: Error | null) => (error === null ? resolve() : reject(error)));
  });
}

if (require.main === module) {
  run(JSON.parse(process.argv[2] ?? '') as BulkFillTask).then(
    () => process.disconnect?.(),
    async (error: unknown) => {
      process.exitCode = 1;
      await send({
        type: 'error',
        message: error instanceof Error ? error.message : String(error),
      });
      process.disconnect?.();
    },
  );
}
