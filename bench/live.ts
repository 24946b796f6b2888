/**
 * `npm run bench:live [-- --rate 2000 --seconds 20 --concurrency 32] [--json FILE]`: live
 * appends through the HTTP API at a steady rate, and how long each takes to show in the
 * funnel view. Starts the API on the benchmark's store, waits until it has projected the log,
 * then drives lead journeys (capture, touchpoints, profile, MQL decision, hand-off) from
 * `--concurrency` clients, each request on a global schedule of `--rate` requests a second.
 * About once a second a sampled capture is stamped with a business time of its own (a
 * millisecond no other lead has); GET /analytics/funnel over that one-millisecond capture
 * window is polled until the lead shows. Prints append→visible p50/p99 beside the target
 * (p99 < 1 s), each poll's read time (the read's share of it) and the append rate reached.
 * `TANDEM_BENCH_API_LOG_LEVEL=debug` keeps the projector's per-batch phases in the API's log
 * (`grep 'batch of' RUN_DIR/api-*.log`). NOTE: it appends to the benchmark's store, so run
 * it after the other benchmarks.
 *
 * `--bulk-fill-to N` (PostgreSQL only): the store receives N events a second in all, as with
 * several API replicas and importers writing beside the live traffic. The API takes the
 * schedule at the rate it sustains; a background writer in a process of its own
 * (bench.bulk-fill-worker.ts) appends the rest as new leads' histories through the bulk path,
 * paced from the store's head position. The ingest rate printed is the store's own (global
 * positions over the schedule), beside the API's and the writer's shares; the visibility
 * samples are still the API's captures, timed from their 201. Without it: the API alone.
 */
import { fork } from 'node:child_process';
import { randomInt, randomUUID } from 'node:crypto';
import * as path from 'node:path';
import { createPostgresEventStore, type PostgresEventStore } from '@tandem/event-store';
import { type ApiProcess, ApiProcess as Api, HttpError } from './bench.api-process';
import type {
  BulkFillCommand,
  BulkFillReport,
  BulkFillResult,
  BulkFillTask,
} from './bench.bulk-fill-worker';
import { captureRequest, type JourneyRequest, journeyAfterCapture } from './bench.journeys';
import { type BenchStore, describeStore, numberOption, parseBenchArgs } from './bench.options';
import { BenchReport, quantile } from './bench.report';

const TIMEOUT_MS = 4 * 3600_000;
const VISIBLE_TARGET_MS = 1000;
const GIVE_UP_MS = 60_000;

async function main(): Promise<void> {
  const { options, values } = parseBenchArgs({
    rate: { type: 'string' },
    seconds: { type: 'string' },
    concurrency: { type: 'string' },
    'bulk-fill-to': { type: 'string' },
  });
  const rate = Math.max(1, numberOption(values.rate, 'rate', 2000));
  const seconds = Math.max(1, numberOption(values.seconds, 'seconds', 20));
  const concurrency = Math.max(1, numberOption(values.concurrency, 'concurrency', 32));
  const fillTo = numberOption(values['bulk-fill-to'], 'bulk-fill-to', 0);
  if (fillTo > 0 && options.store.kind !== 'postgres') {
    // PGlite is one process's: a writer beside the API cannot open it.
    throw new Error('--bulk-fill-to needs --store postgres (a second process cannot open PGlite)');
  }
  const report = new BenchReport('bench:live — append → visible in /analytics/funnel');
  report.note('store', describeStore(options.store));
  report.note('schedule', `${rate} requests/s for ${seconds} s, ${concurrency} clients`);
  if (fillTo > 0) report.note('bulk fill', `the store's ingest topped up to ${fillTo} events/s`);

  // Every client is one caller here: the per-caller write limit (6,000 a minute as shipped)
  // would refuse most of a 2,000/s schedule and measure the limiter, not visibility.
  const api = await Api.start({
    ...options,
    env: { TANDEM_RATE_LIMIT_WRITES_PER_MINUTE: '1000000' },
  });
  try {
    const head = await api.projectorCaughtUp(TIMEOUT_MS);
    await api.activeRuleSetReady(TIMEOUT_MS);
    // Traffic once /health/ready lets it in, as behind a load balancer: a store that grew since
    // the run directory was projected (an earlier live run) makes the start take a new snapshot
    // of the views, and a sample timed meanwhile measured that snapshot, not live visibility.
    await api.viewsReady(TIMEOUT_MS);
    report.note('events before (store head position)', String(head));
    api.rss.resetPeak();
    const ingest = fillTo > 0 ? await Ingest.start(options.store, { fillTo, seconds }) : null;
    let lagAtEnd = 'unknown';
    const result = await drive(api, { rate, seconds, concurrency }, async () => {
      await ingest?.stop();
      lagAtEnd = await projectorLag(api);
    });
    const filled = ingest === null ? null : await ingest.result;
    report.note('projector behind the head when the schedule ended (events)', lagAtEnd);
    report.note('requests sent', result.requests);
    report.note('refused MQL decisions (422, by the rules)', result.refused);
    report.note('failed requests', result.failures.length);
    if (result.failures.length > 0) report.note('first failure', result.failures[0]!);
    report.note('visibility samples', result.visible.length);
    report.note('samples never visible within 60 s', result.invisible);
    report.add({
      name: 'events appended per second',
      value: result.events / result.seconds,
      unit: 'events/s',
      target: filled === null ? { atLeast: rate * 0.95, label: `the schedule, ${rate}/s` } : null,
      note: 'successful appends only',
    });
    if (filled !== null) {
      report.note('bulk writer: leads / appends', `${filled.leads} / ${filled.appends}`);
      report.note('bulk writer: events owed the target at the end', filled.behind);
      report.add({
        name: 'events bulk-appended per second',
        value: filled.events / filled.seconds,
        unit: 'events/s',
        target: null,
        note: 'appendToNewStreams, another process',
      });
      report.add({
        name: 'bulk append latency p99',
        value: quantile(filled.appendMs, 0.99),
        unit: 'ms',
        target: null,
      });
      report.add({
        name: 'store ingest (global positions)',
        value: filled.storeEvents / filled.seconds,
        unit: 'events/s',
        target: { atLeast: fillTo * 0.95, label: `${fillTo}/s` },
        note: `head ${filled.headBefore} → ${filled.headAfter}; slowest second ${Math.round(filled.slowestSecond)}`,
      });
    }
    report.add({
      name: 'append latency p50',
      value: quantile(result.latencies, 0.5),
      unit: 'ms',
      target: null,
    });
    report.add({
      name: 'append latency p99',
      value: quantile(result.latencies, 0.99),
      unit: 'ms',
      target: null,
    });
    report.note('funnel reads (polls)', result.reads.length);
    report.add({
      name: 'funnel read (one poll) p50',
      value: quantile(result.reads, 0.5),
      unit: 'ms',
      target: null,
    });
    report.add({
      name: 'funnel read (one poll) p99',
      value: quantile(result.reads, 0.99),
      unit: 'ms',
      target: null,
    });
    report.add({
      name: 'append → visible in funnel p50',
      value: quantile(result.visible, 0.5),
      unit: 'ms',
      target: null,
    });
    report.add({
      name: 'append → visible in funnel p99',
      value: result.invisible > 0 ? Number.POSITIVE_INFINITY : quantile(result.visible, 0.99),
      unit: 'ms',
      target: { atMost: VISIBLE_TARGET_MS },
    });
    report.add({
      name: 'API peak RSS under live load',
      value: api.rss.peakBytes,
      unit: 'bytes',
      target: null,
    });
  } finally {
    await api.stop();
  }
  report.print();
  report.writeJson(options.json);
}

async function drive(
  api: ApiProcess,
  options: { rate: number; seconds: number; concurrency: number },
  onScheduleOver: () => Promise<void>,
) {
  const slotMs = 1000 / options.rate;
  const totalSlots = Math.round(options.rate * options.seconds);
  const started = performance.now();
  // Sampled captures take business times one millisecond apart, days before any other lead.
  const sampleBase = Date.now() - 3 * 86_400_000;
  let nextSlot = 0;
  let sampleIndex = 0;
  let nextSampleAt = started;
  let requests = 0;
  let events = 0;
  let refused = 0;
  const latencies: number[] = [];
  const failures: string[] = [];
  const visible: number[] = [];
  /** Each poll's GET /analytics/funnel, timed by the client: the read's share of visible. */
  const reads: number[] = [];
  let invisible = 0;
  const watchers: Promise<void>[] = [];

  // The schedule ends on time even when the API cannot keep up: the rate reached says so.
  const over = () => nextSlot >= totalSlots || performance.now() - started > options.seconds * 1000;
  const send = async (request: JourneyRequest): Promise<'ok' | 'refused' | 'failed' | 'over'> => {
    if (over()) return 'over';
    const slot = nextSlot++;
    const due = started + slot * slotMs;
    const wait = due - performance.now();
    if (wait > 1) await new Promise((resolve) => setTimeout(resolve, wait));
    const sentAt = performance.now();
    requests++;
    try {
      const body = (await api.post(request.path, request.body, request.role, 'bench-live')) as {
        events: unknown[];
      };
      latencies.push(performance.now() - sentAt);
      events += body.events.length;
      return 'ok';
    } catch (error) {
      if (request.gate === true && error instanceof HttpError && error.status === 422) {
        refused++;
        return 'refused';
      }
      failures.push(error instanceof Error ? error.message : String(error));
      return 'failed';
    }
  };

  const client = async () => {
    while (!over()) {
      const sampled = performance.now() >= nextSampleAt;
      if (sampled) {
        nextSampleAt += 1000;
        const occurredAt = new Date(sampleBase + sampleIndex++);
        const outcome = await send(capture(randomUUID(), occurredAt));
        const appendedAt = performance.now();
        if (outcome === 'ok') watchers.push(watch(occurredAt, appendedAt));
        continue;
      }
      for (const request of journey(randomUUID())) {
        const outcome = await send(request);
        if (outcome !== 'ok') break;
      }
    }
  };

  const watch = async (occurredAt: Date, appendedAt: number): Promise<void> => {
    const from = occurredAt.toISOString();
    const to = new Date(occurredAt.getTime() + 1).toISOString();
    const path = `/analytics/funnel?capturedFrom=${from}&capturedTo=${to}`;
    for (;;) {
      const readAt = performance.now();
      const rows = (await api.get(path)) as { stage: string; leads: number }[];
      reads.push(performance.now() - readAt);
      if (rows.some((row) => row.stage === 'captured' && row.leads >= 1)) {
        visible.push(performance.now() - appendedAt);
        return;
      }
      if (performance.now() - appendedAt > GIVE_UP_MS) {
        invisible++;
        return;
      }
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  };

  await Promise.all(Array.from({ length: options.concurrency }, client));
  const seconds = (performance.now() - started) / 1000;
  await onScheduleOver();
  await Promise.all(watchers);
  return { requests, events, refused, latencies, failures, visible, reads, invisible, seconds };
}

/** Events between the store's head and the projector's position, from /health. */
async function projectorLag(api: ApiProcess): Promise<string> {
  const health = await api.health();
  const head = BigInt(health.eventStore.headPosition ?? '0');
  const position = BigInt(health.projector.position ?? '0');
  return String(head - position);
}

interface IngestResult extends BulkFillResult {
  /** Seconds from `start` to `stop`, as the parent timed them. */
  readonly seconds: number;
  readonly headBefore: bigint;
  readonly headAfter: bigint;
  /** Events the store received in all (API and writer), from its head position. */
  readonly storeEvents: number;
  /** Fewest events the store received in one whole second of the run. */
  readonly slowestSecond: number;
}

/**
 * The bulk writer's process and the store's head position over the schedule, read on a
 * connection of the parent's own (the rate is the store's, not the schedule's).
 */
class Ingest {
  private readonly heads: { at: number; head: bigint }[] = [];
  private sampler: NodeJS.Timeout | undefined;
  private startedAt = 0;
  private resolveResult: (result: IngestResult) => void = () => undefined;
  private rejectResult: (error: Error) => void = () => undefined;
  readonly result = new Promise<IngestResult>((resolve, reject) => {
    this.resolveResult = resolve;
    this.rejectResult = reject;
  });

  private constructor(
    private readonly store: PostgresEventStore,
    private readonly child: ReturnType<typeof fork>,
    private readonly written: Promise<BulkFillResult>,
  ) {
    this.result.catch(() => undefined); // surfaces where the result is awaited
  }

  /** Forks the writer, waits until it is ready, then starts it and the head's samples. */
  static async start(
    selection: BenchStore,
    options: { fillTo: number; seconds: number },
  ): Promise<Ingest> {
    const task: BulkFillTask = {
      url: selection.url,
      schema: selection.schema,
      target: options.fillTo,
      seconds: options.seconds,
      seed: randomInt(1, 2 ** 31),
    };
    const file = path.join(__dirname, `bench.bulk-fill-worker${path.extname(__filename)}`);
    const child = fork(file, [JSON.stringify(task)], {
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    let ready: () => void = () => undefined;
    const isReady = new Promise<void>((resolve) => (ready = resolve));
    const written = new Promise<BulkFillResult>((resolve, reject) => {
      child.on('message', (report: BulkFillReport) => {
        if (report.type === 'ready') ready();
        else if (report.type === 'result') resolve(report.result);
        else reject(new Error(`bulk writer failed: ${report.message}`));
      });
      child.on('exit', (code, signal) =>
        reject(new Error(`bulk writer exited (${code ?? signal}) without a result`)),
      );
    });
    written.catch(() => undefined); // surfaces where the result is awaited
    await Promise.race([isReady, written]);
    const store = await createPostgresEventStore({
      connectionString: selection.url,
      schema: selection.schema,
      poolSize: 1,
    });
    const ingest = new Ingest(store, child, written);
    await ingest.sample();
    ingest.startedAt = performance.now();
    ingest.command({ type: 'start' });
    ingest.sampler = setInterval(() => void ingest.sample(), 1000);
    return ingest;
  }

  /** Stops the writer at the end of the schedule; the result settles `result`. */
  async stop(): Promise<void> {
    clearInterval(this.sampler);
    this.command({ type: 'stop' });
    const seconds = (performance.now() - this.startedAt) / 1000;
    try {
      await this.sample();
      const written = await this.written;
      const first = this.heads[0]!;
      const last = this.heads[this.heads.length - 1]!;
      let slowestSecond = Number.POSITIVE_INFINITY;
      for (let i = 1; i < this.heads.length; i++) {
        const [a, b] = [this.heads[i - 1]!, this.heads[i]!];
        if (b.at - a.at < 900) continue; // the last, partial interval
        slowestSecond = Math.min(slowestSecond, (Number(b.head - a.head) * 1000) / (b.at - a.at));
      }
      this.resolveResult({
        ...written,
        seconds,
        headBefore: first.head,
        headAfter: last.head,
        storeEvents: Number(last.head - first.head),
        slowestSecond,
      });
    } catch (error) {
      this.child.kill('SIGKILL');
      this.rejectResult(error instanceof Error ? error : new Error(String(error)));
    } finally {
      await this.store.close();
    }
  }

  private async sample(): Promise<void> {
    const at = performance.now();
    this.heads.push({ at, head: (await this.store.headPosition()) ?? 0n });
  }

  private command(command: BulkFillCommand): void {
    if (this.child.connected) this.child.send(command);
  }
}

function capture(leadId: string, occurredAt?: Date): JourneyRequest {
  const n = Number.parseInt(leadId.slice(0, 4), 16);
  return captureRequest(leadId, 'Live', {
    accountId: `acct-live-${n % 500}`,
    ...(occurredAt === undefined ? {} : { occurredAt: occurredAt.toISOString() }),
  });
}

/** One lead's requests: most become one event each; the MQL decision may be refused. */
function journey(leadId: string): JourneyRequest[] {
  return [capture(leadId), ...journeyAfterCapture(leadId)];
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? (error.stack ?? error.message) : error);
  process.exit(1);
});
