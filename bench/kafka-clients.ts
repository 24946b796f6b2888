/**
 * Bench: kafkajs vs @platformatic/kafka on a real broker (issue 3, item 2; docs/adr/0004).
 *
 * Starts its own single-node broker through infra/kafka/kafka.sh (or uses KAFKA_BROKERS), then,
 * for each run and each client (alternating which goes first), on fresh 6-partition topics and
 * Tandem-shaped messages (bench.kafka-messages.ts):
 *   1. produce COUNT messages with an idempotent producer (acks=all), BATCH per awaited send;
 *      the broker's end offsets must add up to exactly COUNT;
 *   2. consume them in a fresh group from the beginning (connect + join + fetch, commit per
 *      batch) and check: no duplicate, per-lead order kept, every lead on the partition the
 *      Java client's murmur2 picks;
 *   3. rebalance: member A consumes a paced live feed; member B (another process) joins;
 *      time from B's join to a stable split (both own partitions, disjoint, all 6 covered),
 *      and lost / duplicated messages across the join (counted per event id).
 * Each task runs in its own process (bench.kafka-worker.ts), so memory is per client and task.
 * Prints every run and a table of medians, then stops the broker.
 *
 * Usage: node dist-bench/bench/kafka-clients.js [--runs 3] [--count 100000]
 *          [--clients kafkajs,platformatic] [--json results.json]
 * Must never: leave a broker or a worker process behind, or report a number from a run whose
 * correctness check failed without saying so.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Kafka, logLevel, Partitioners, type Admin, type PartitionMetadata } from 'kafkajs';
import { startBenchBroker, type BenchBroker } from './bench.kafka-broker';
import { LEADS, tandemMessages } from './bench.kafka-messages';
import type {
  ClientName,
  ConsumeResult,
  MemberResult,
  ParentCommand,
  ProduceResult,
  WorkerReport,
  WorkerTask,
} from './bench.kafka-worker';

const CLIENTS: readonly ClientName[] = ['kafkajs', 'platformatic'];
const PARTITIONS = 6;
const BATCH = 500;
/** Rebalance scenario: a live feed of FEED messages at FEED_RATE/s; B joins after JOIN_AFTER_MS. */
const FEED = 40_000;
const FEED_RATE = 4_000;
const FEED_TICK_MS = 50;
const JOIN_AFTER_MS = 2_000;
/** After the last message arrived, how long to keep listening for duplicates. */
const QUIET_MS = 2_000;

interface Options {
  runs: number;
  count: number;
  clients: ClientName[];
  json: string | undefined;
}

function parseOptions(argv: string[]): Options {
  const options: Options = { runs: 3, count: 100_000, clients: [...CLIENTS], json: undefined };
  for (let i = 0; i < argv.length; i += 2) {
    const [flag, value] = [argv[i], argv[i + 1]];
    if (flag === '--runs') options.runs = Number(value);
    else if (flag === '--count') options.count = Number(value);
    else if (flag === '--json') options.json = value;
    else if (flag === '--clients') {
      options.clients = (value ?? '')
        .split(',')
        .filter((c): c is ClientName => (CLIENTS as readonly string[]).includes(c));
    } else {
      throw new Error(
        `unknown option ${flag}; use --runs N, --count N, --clients kafkajs,platformatic, --json FILE`,
      );
    }
  }
  if (!(options.runs >= 1 && options.count >= BATCH && options.clients.length > 0)) {
    throw new Error('bad --runs, --count or --clients');
  }
  return options;
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

async function until(what: string, check: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms: ${what}`);
    await sleep(20);
  }
}

// --- worker processes ---------------------------------------------------------------------

const workers = new Set<ChildProcess>();

interface Worker<R> {
  result: Promise<R>;
  command(command: ParentCommand): void;
}

function startWorker<R>(
  task: WorkerTask,
  timeoutMs: number,
  onReport: (report: WorkerReport) => void = () => undefined,
): Worker<R> {
  const file = path.join(__dirname, `bench.kafka-worker${path.extname(__filename)}`);
  const child = fork(file, [JSON.stringify(task)], {
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  workers.add(child);
  const result = new Promise<R>((resolve, reject) => {
    let settled = false;
    const timer = setTimeout(() => {
      settled = true;
      child.kill('SIGKILL');
      reject(new Error(`${task.task} worker (${task.client}) timed out after ${timeoutMs} ms`));
    }, timeoutMs);
    child.on('message', (report: WorkerReport) => {
      if (report.type === 'result') {
        settled = true;
        clearTimeout(timer);
        resolve(report.result as R);
      } else if (report.type === 'error') {
        settled = true;
        clearTimeout(timer);
        reject(new Error(`${task.task} worker (${task.client}) failed: ${report.message}`));
      } else onReport(report);
    });
    child.on('exit', (code, signal) => {
      workers.delete(child);
      clearTimeout(timer);
      if (!settled)
        reject(new Error(`${task.task} worker exited (${code ?? signal}) without a result`));
    });
  });
  result.catch(() => undefined); // failures surface where the result is awaited
  return {
    result,
    command: (command) => {
      if (child.connected) child.send(command);
    },
  };
}

/** The partition the Java client's murmur2 (kafkajs' default partitioner) picks for each key. */
function javaPartitions(keys: string[]): number[] {
  const partitioner = Partitioners.DefaultPartitioner();
  const partitionMetadata: PartitionMetadata[] = Array.from({ length: PARTITIONS }, (_, i) => ({
    partitionErrorCode: 0,
    partitionId: i,
    leader: 1,
    replicas: [1],
    isr: [1],
  }));
  return keys.map((key) =>
    partitioner({ topic: '', partitionMetadata, message: { key, value: null } }),
  );
}

// --- scenarios ----------------------------------------------------------------------------

interface RebalanceResult {
  joinToStableMs: number;
  joinToFirstMessageMs: number;
  lost: number;
  duplicated: number;
  duplicatedWhere: string;
  staleSkipped: number;
  split: string;
  errors: string[];
  memberB: MemberResult;
}

interface RunResult {
  run: number;
  client: ClientName;
  /** endOffsetsSum - count: messages the broker holds beyond (or short of) what was sent. */
  produce: ProduceResult & { endOffsetsSum: number; offsetsOff: number };
  consume: ConsumeResult & { partitionMismatches: number };
  rebalance: RebalanceResult;
}

class Bench {
  private readonly kafka: Kafka;
  private readonly admin: Admin;
  private readonly tag = `${Date.now().toString(36)}`;
  readonly topics: string[] = [];

  constructor(
    private readonly broker: BenchBroker,
    private readonly options: Options,
  ) {
    this.kafka = new Kafka({
      clientId: 'tandem-bench',
      brokers: broker.brokers.split(','),
      logLevel: logLevel.ERROR,
      retry: { retries: 8, initialRetryTime: 200 },
    });
    this.admin = this.kafka.admin();
  }

  async init(): Promise<string> {
    await this.admin.connect();
    // How the platformatic partitioners compare with the Java one (pure computation).
    const leadKeys = tandemMessages(LEADS, 'partitioner-check').map((message) => message.key);
    const expected = javaPartitions(leadKeys);
    const plt = await import('@platformatic/kafka');
    const differs = (partitioner: (m: never, key: Buffer) => number): number =>
      leadKeys.filter(
        (key, i) => partitioner(undefined as never, Buffer.from(key)) % PARTITIONS !== expected[i],
      ).length;
    return (
      `partitioner check on ${LEADS} lead keys, ${PARTITIONS} partitions: platformatic ` +
      `defaultPartitioner differs from kafkajs/Java murmur2 for ${differs(plt.defaultPartitioner)}, ` +
      `compatibilityPartitioner for ${differs(plt.compatibilityPartitioner)}`
    );
  }

  async close(): Promise<void> {
    if (this.broker.external && this.topics.length > 0) {
      await this.admin.deleteTopics({ topics: this.topics }).catch(() => undefined);
    }
    await this.admin.disconnect();
  }

  private async createTopic(name: string): Promise<string> {
    const topic = `tandem-bench.${this.tag}.${name}`;
    await this.admin.createTopics({
      waitForLeaders: true,
      topics: [{ topic, numPartitions: PARTITIONS }],
    });
    this.topics.push(topic);
    return topic;
  }

  async run(run: number, client: ClientName): Promise<RunResult> {
    const brokers = this.broker.brokers;
    const count = this.options.count;
    const topic = await this.createTopic(`${client}.r${run}`);

    const produced = await startWorker<ProduceResult>(
      { task: 'produce', client, brokers, topic, count, batch: BATCH },
      180_000,
    ).result;
    const offsets = await this.admin.fetchTopicOffsets(topic);
    const endOffsetsSum = offsets.reduce((sum, p) => sum + Number(p.high), 0);

    const consumed = await startWorker<ConsumeResult>(
      { task: 'consume', client, brokers, topic, group: `${topic}.group`, count },
      180_000,
    ).result;
    const expected = javaPartitions(tandemMessages(LEADS, topic).map((message) => message.key));
    const partitionMismatches = consumed.leadPartitions.filter(
      (partition, lead) => partition !== -1 && partition !== expected[lead],
    ).length;

    const rebalance = await this.rebalance(run, client);
    return {
      run,
      client,
      produce: { ...produced, endOffsetsSum, offsetsOff: endOffsetsSum - count },
      consume: { ...consumed, partitionMismatches },
      rebalance,
    };
  }

  private async rebalance(run: number, client: ClientName): Promise<RebalanceResult> {
    const brokers = this.broker.brokers;
    const topic = await this.createTopic(`${client}.r${run}.rebalance`);
    const group = `${topic}.group`;
    const counts = { A: new Uint16Array(FEED), B: new Uint16Array(FEED) };
    let distinct = 0;
    const latest: Record<'A' | 'B', { at: number; partitions: number[] } | undefined> = {
      A: undefined,
      B: undefined,
    };
    let bJoiningAt = 0;
    let bFirstAt = 0;
    let stableAt = 0;
    let split = '';
    const onReport = (name: 'A' | 'B') => (report: WorkerReport) => {
      if (report.type === 'progress') {
        if (name === 'B' && bFirstAt === 0) bFirstAt = Date.now();
        const own = counts[name];
        const other = counts[name === 'A' ? 'B' : 'A'];
        for (const index of report.indices) {
          if ((own[index] ?? 0) === 0 && (other[index] ?? 0) === 0) distinct++;
          own[index] = (own[index] ?? 0) + 1;
        }
      } else if (report.type === 'joining') {
        if (name === 'B') bJoiningAt = report.at;
      } else if (report.type === 'assigned') {
        latest[name] = { at: report.at, partitions: report.partitions };
        const { A: a, B: b } = latest;
        if (stableAt || !bJoiningAt || !a || !b || a.at < bJoiningAt) return;
        const union = new Set([...a.partitions, ...b.partitions]);
        const disjoint = union.size === a.partitions.length + b.partitions.length;
        if (disjoint && union.size === PARTITIONS && a.partitions.length && b.partitions.length) {
          stableAt = Math.max(a.at, b.at);
          split = `${a.partitions.length}+${b.partitions.length}`;
        }
      }
    };
    const memberTask = (name: string): WorkerTask => ({
      task: 'member',
      client,
      brokers,
      topic,
      group,
      name,
    });
    const a = startWorker<MemberResult>(memberTask('A'), 120_000, onReport('A'));
    let b: Worker<MemberResult> | undefined;
    const producer = this.kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
    try {
      await until(
        'member A owns every partition',
        () => latest.A?.partitions.length === PARTITIONS,
        60_000,
      );
      await producer.connect();
      const feed = this.feed(producer, topic);
      await sleep(JOIN_AFTER_MS);
      b = startWorker<MemberResult>(memberTask('B'), 120_000, onReport('B'));
      await feed;
      await until(`all ${FEED} fed messages consumed`, () => distinct === FEED, 60_000).catch(
        () => undefined, // reported as lost below
      );
      await until('a stable split of the group', () => stableAt > 0, 30_000).catch(() => undefined);
      await sleep(QUIET_MS);
    } finally {
      await producer.disconnect();
      a.command({ type: 'stop' });
      b?.command({ type: 'stop' });
    }
    const [memberA, memberB] = await Promise.all([a.result, b?.result]);
    if (!memberB) throw new Error('member B did not start');
    // Where the second copies went: redelivered to the same member, or read by both.
    const again = { A: 0, B: 0, both: 0 };
    for (let i = 0; i < FEED; i++) {
      const [byA, byB] = [counts.A[i] ?? 0, counts.B[i] ?? 0];
      again.A += Math.max(0, byA - 1);
      again.B += Math.max(0, byB - 1);
      if (byA > 0 && byB > 0) again.both++;
    }
    return {
      joinToStableMs: stableAt ? stableAt - bJoiningAt : Number.NaN,
      joinToFirstMessageMs: bFirstAt ? bFirstAt - bJoiningAt : Number.NaN,
      lost: FEED - distinct,
      duplicated: again.A + again.B + again.both,
      duplicatedWhere: `A again ${again.A}, B again ${again.B}, both ${again.both}`,
      staleSkipped: memberA.stale + memberB.stale,
      split: split || 'never stable',
      errors: [...memberA.errors.map((e) => `A ${e}`), ...memberB.errors.map((e) => `B ${e}`)],
      memberB,
    };
  }

  /** FEED messages at FEED_RATE per second, one awaited idempotent send per tick. */
  private async feed(producer: ReturnType<Kafka['producer']>, topic: string): Promise<void> {
    const messages = tandemMessages(FEED, topic);
    const perTick = Math.round((FEED_RATE * FEED_TICK_MS) / 1000);
    const start = Date.now();
    for (let i = 0, tick = 0; i < messages.length; i += perTick, tick++) {
      const wait = start + tick * FEED_TICK_MS - Date.now();
      if (wait > 0) await sleep(wait);
      await producer.send({ topic, acks: -1, messages: messages.slice(i, i + perTick) });
    }
  }
}

// --- report -------------------------------------------------------------------------------

function median(values: number[]): number {
  const sorted = values.filter((v) => !Number.isNaN(v)).sort((x, y) => x - y);
  if (sorted.length === 0) return Number.NaN;
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2
    ? (sorted[mid] ?? Number.NaN)
    : ((sorted[mid - 1] ?? 0) + (sorted[mid] ?? 0)) / 2;
}

const fmt = (value: number): string =>
  Number.isNaN(value)
    ? 'n/a'
    : Number.isInteger(value)
      ? value.toLocaleString('en-US')
      : value.toFixed(1);

function table(results: RunResult[]): string {
  const clients = CLIENTS.filter((client) => results.some((r) => r.client === client));
  const rows: [string, (r: RunResult) => number, 'median' | 'sum'][] = [
    ['produce msgs/s (idempotent, acks=all, 500/send)', (r) => r.produce.msgsPerSec, 'median'],
    ['produce: client start-up ms', (r) => r.produce.setupMs, 'median'],
    ['produce: peak RSS MB', (r) => r.produce.memory.peakRssMb, 'median'],
    ['produce: peak heap MB', (r) => r.produce.memory.peakHeapMb, 'median'],
    ['consume msgs/s (connect+join+fetch all)', (r) => r.consume.msgsPerSec, 'median'],
    ['consume: ms to first message', (r) => r.consume.firstMessageMs, 'median'],
    ['consume: peak RSS MB', (r) => r.consume.memory.peakRssMb, 'median'],
    ['consume: peak heap MB', (r) => r.consume.memory.peakHeapMb, 'median'],
    ['rebalance: B joins -> stable split ms', (r) => r.rebalance.joinToStableMs, 'median'],
    ['rebalance: B joins -> B first message ms', (r) => r.rebalance.joinToFirstMessageMs, 'median'],
    ['check: end offsets minus messages sent (all runs)', (r) => r.produce.offsetsOff, 'sum'],
    ['check: consume duplicates (all runs)', (r) => r.consume.duplicates, 'sum'],
    ['check: per-lead order violations (all runs)', (r) => r.consume.orderViolations, 'sum'],
    ['check: leads off the Java partition (all runs)', (r) => r.consume.partitionMismatches, 'sum'],
    ['rebalance: lost (all runs)', (r) => r.rebalance.lost, 'sum'],
    ['rebalance: duplicated (all runs)', (r) => r.rebalance.duplicated, 'sum'],
    ['rebalance: stale deliveries skipped (all runs)', (r) => r.rebalance.staleSkipped, 'sum'],
  ];
  const cell = (
    client: ClientName,
    pick: (r: RunResult) => number,
    how: 'median' | 'sum',
  ): string => {
    const values = results.filter((r) => r.client === client).map(pick);
    if (how === 'sum') return fmt(values.reduce((s, v) => s + v, 0));
    return `${fmt(median(values))} [${values.map(fmt).join(', ')}]`;
  };
  const lines = rows.map(([label, pick, how]) => [
    label,
    ...clients.map((c) => cell(c, pick, how)),
  ]);
  const header = ['metric (median [runs])', ...clients];
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => (l[i] ?? '').length)));
  const render = (cols: string[]): string =>
    `| ${cols.map((c, i) => c.padEnd(widths[i] ?? 0)).join(' | ')} |`;
  return [render(header), render(widths.map((w) => '-'.repeat(w))), ...lines.map(render)].join(
    '\n',
  );
}

function describeRun(r: RunResult): string {
  const p = r.produce;
  const c = r.consume;
  const b = r.rebalance;
  return [
    `run ${r.run} ${r.client}:`,
    `  produce ${fmt(p.msgsPerSec)} msg/s (${p.sendMs} ms, start-up ${p.setupMs} ms, value ${p.valueBytes} B,` +
      ` end offsets ${p.endOffsetsSum}; RSS ${p.memory.baselineRssMb}->${p.memory.peakRssMb} MB, heap ${p.memory.peakHeapMb} MB)`,
    `  consume ${fmt(c.msgsPerSec)} msg/s (${c.totalMs} ms, first after ${c.firstMessageMs} ms, received ${c.received},` +
      ` dup ${c.duplicates}, order ${c.orderViolations}, off-partition ${c.partitionMismatches};` +
      ` RSS ${c.memory.baselineRssMb}->${c.memory.peakRssMb} MB, heap ${c.memory.peakHeapMb} MB)`,
    `  rebalance: stable ${fmt(b.joinToStableMs)} ms (split ${b.split}), B first message ${fmt(b.joinToFirstMessageMs)} ms,` +
      ` lost ${b.lost}, duplicated ${b.duplicated} (${b.duplicatedWhere}), stale skipped ${b.staleSkipped}`,
    ...[...p.errors, ...c.errors, ...b.errors].map((e) => `  client error log: ${e}`),
  ].join('\n');
}

/** The installed version of a package (its package.json, found upwards from its entry point). */
function packageVersion(name: string): string {
  for (
    let dir = path.dirname(require.resolve(name));
    dir !== path.dirname(dir);
    dir = path.dirname(dir)
  ) {
    try {
      const json = JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8')) as {
        name?: string;
        version?: string;
      };
      if (json.name === name) return json.version ?? '?';
    } catch {
      // no package.json here: keep going up
    }
  }
  return '?';
}

// --- main ---------------------------------------------------------------------------------

const load = (): string =>
  os
    .loadavg()
    .map((l) => l.toFixed(2))
    .join(' ');

async function main(): Promise<void> {
  const options = parseOptions(process.argv.slice(2));
  const started = Date.now();
  const elapsed = (): string => `${((Date.now() - started) / 1000).toFixed(0)} s`;
  console.log(
    `Kafka client bench: kafkajs ${packageVersion('kafkajs')} vs ` +
      `@platformatic/kafka ${packageVersion('@platformatic/kafka')} ` +
      `(${options.runs} runs, ${options.count} messages, ${PARTITIONS} partitions); ` +
      `Node ${process.version}, ${os.cpus().length} CPUs, load ${load()}`,
  );
  const broker = await startBenchBroker();
  const stopAll = async (): Promise<void> => {
    for (const child of workers) child.kill('SIGKILL');
    await broker.stop();
  };
  const onSignal = (signal: NodeJS.Signals): void => {
    console.error(`\n${signal}: stopping workers and the broker`);
    void stopAll().finally(() => process.exit(130));
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  console.log(
    `broker ${broker.brokers}${broker.external ? ' (KAFKA_BROKERS)' : ''} ready after ${elapsed()}`,
  );

  const results: RunResult[] = [];
  const bench = new Bench(broker, options);
  try {
    console.log(await bench.init());
    for (let run = 1; run <= options.runs; run++) {
      const order = run % 2 === 1 ? options.clients : [...options.clients].reverse();
      for (const client of order) {
        const result = await bench.run(run, client);
        results.push(result);
        console.log(`${describeRun(result)}\n  (${elapsed()})`);
      }
    }
    console.log(`\n${table(results)}\n`);
    console.log(`load ${load()}; total ${elapsed()}`);
    if (options.json) writeFileSync(options.json, `${JSON.stringify(results, null, 2)}\n`);
  } finally {
    await bench.close().catch(() => undefined);
    await stopAll();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
