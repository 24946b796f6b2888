/**
 * Kafka client bench: one measured task in its own process (forked by kafka-clients.ts), so
 * each client's memory is measured alone and only that client's module is loaded.
 *
 * Tasks, for either client (same settings on both, modelled on apps/relay and apps/projector):
 * - produce: an idempotent producer (acks=all, one request in flight) sends `count` messages in
 *   sequential batches, each awaited, like the relay.
 * - consume: one group member reads the topic from the beginning until every message arrived,
 *   committing after each processed fetch batch (like the projector); counts duplicates,
 *   per-lead order violations and which partition each lead was read from.
 * - member: a group member that reports its assignments and received messages to the parent
 *   until told to stop (the rebalance scenario runs two of them).
 *
 * Both consumers skip messages from partitions that are no longer theirs ("stale", the
 * projector's isStale() check) and commit only partitions they own.
 *
 * Must never: measure message generation, module loading or client start-up as throughput;
 * hang (every wait has a deadline in the parent, which kills this process on expiry).
 */
import type { Consumer as JsConsumer, EachBatchPayload, logCreator } from 'kafkajs';
import type {
  Consumer as PltConsumer,
  Message as PltMessage,
  MessagesStream as PltStream,
} from '@platformatic/kafka';
import { eventIdHeader, LEADS, sequenceOf, tandemMessages } from './bench.kafka-messages';

export type ClientName = 'kafkajs' | 'platformatic';

export type WorkerTask =
  | {
      task: 'produce';
      client: ClientName;
      brokers: string;
      topic: string;
      count: number;
      batch: number;
    }
  | {
      task: 'consume';
      client: ClientName;
      brokers: string;
      topic: string;
      group: string;
      count: number;
    }
  | {
      task: 'member';
      client: ClientName;
      brokers: string;
      topic: string;
      group: string;
      name: string;
    };

export interface Memory {
  /** RSS after messages were generated, before the client module was loaded. */
  baselineRssMb: number;
  /** Peak RSS of the process (getrusage). */
  peakRssMb: number;
  /** Peak V8 heap used, sampled every 50 ms. */
  peakHeapMb: number;
}

export interface ProduceResult {
  kind: 'produce';
  setupMs: number;
  sendMs: number;
  msgsPerSec: number;
  valueBytes: number;
  errors: string[];
  memory: Memory;
}

export interface ConsumeResult {
  kind: 'consume';
  /** From the first call that talks to the broker (connect/consume) to the last message. */
  totalMs: number;
  firstMessageMs: number;
  msgsPerSec: number;
  received: number;
  duplicates: number;
  orderViolations: number;
  stale: number;
  /** Partition each lead was read from (-1: none; -2: more than one). */
  leadPartitions: number[];
  errors: string[];
  memory: Memory;
}

export interface MemberResult {
  kind: 'member';
  received: number;
  stale: number;
  errors: string[];
  memory: Memory;
}

export type WorkerReport =
  | { type: 'joining'; at: number }
  | { type: 'assigned'; at: number; partitions: number[] }
  | { type: 'progress'; indices: number[] }
  | { type: 'result'; result: ProduceResult | ConsumeResult | MemberResult }
  | { type: 'error'; message: string };

export type ParentCommand = { type: 'stop' };

const mb = (bytes: number): number => Math.round((bytes / 1024 / 1024) * 10) / 10;

function send(report: WorkerReport): Promise<void> {
  return new Promise((resolve) => {
    if (!process.send) throw new Error('bench.kafka-worker must be forked with an IPC channel');
    process.send(report, () => resolve());
  });
}

function memorySampler(): () => Memory {
  const baseline = process.memoryUsage.rss();
  let peakHeap = process.memoryUsage().heapUsed;
  const timer = setInterval(() => {
    peakHeap = Math.max(peakHeap, process.memoryUsage().heapUsed);
  }, 50);
  timer.unref();
  return () => {
    clearInterval(timer);
    peakHeap = Math.max(peakHeap, process.memoryUsage().heapUsed);
    return {
      baselineRssMb: mb(baseline),
      peakRssMb: mb(process.resourceUsage().maxRSS * 1024),
      peakHeapMb: mb(peakHeap),
    };
  };
}

/** Keeps the first few distinct error lines a client reported. */
class ErrorLog {
  readonly lines: string[] = [];
  private total = 0;
  add(line: string): void {
    this.total++;
    if (this.lines.length < 3 && !this.lines.includes(line)) this.lines.push(line);
  }
  summary(): string[] {
    return this.total > this.lines.length
      ? [...this.lines, `(${this.total} error lines in all)`]
      : this.lines;
  }
}

function kafkaJsLogger(errors: ErrorLog): logCreator {
  return (level) =>
    ({ namespace, level: entryLevel, log }) => {
      if (entryLevel <= level) errors.add(`${namespace}: ${log.message}`);
    };
}

// --- produce ------------------------------------------------------------------------------

async function produce(task: Extract<WorkerTask, { task: 'produce' }>): Promise<ProduceResult> {
  const messages = tandemMessages(task.count, task.topic);
  const valueBytes = Buffer.byteLength(messages[0]?.value ?? '');
  // One shape for both clients (kafkajs ignores `topic`), built before memory is measured.
  const batches: {
    topic: string;
    key: string;
    value: string;
    headers: Record<string, string>;
  }[][] = [];
  for (let i = 0; i < messages.length; i += task.batch) {
    batches.push(
      messages
        .slice(i, i + task.batch)
        .map(({ key, value, headers }) => ({ topic: task.topic, key, value, headers })),
    );
  }
  const memory = memorySampler();
  const errors = new ErrorLog();
  let setupMs: number;
  let sendMs: number;

  if (task.client === 'kafkajs') {
    const { Kafka, logLevel, Partitioners } = await import('kafkajs');
    const kafka = new Kafka({
      clientId: 'tandem-bench-producer',
      brokers: task.brokers.split(','),
      logLevel: logLevel.ERROR,
      logCreator: kafkaJsLogger(errors),
      retry: { retries: 8, initialRetryTime: 200 },
    });
    const producer = kafka.producer({
      idempotent: true,
      maxInFlightRequests: 1,
      createPartitioner: Partitioners.DefaultPartitioner,
    });
    const t0 = performance.now();
    await producer.connect();
    setupMs = performance.now() - t0;
    const t1 = performance.now();
    for (const batch of batches) {
      await producer.send({ topic: task.topic, acks: -1, messages: batch });
    }
    sendMs = performance.now() - t1;
    await producer.disconnect();
  } else {
    const { Producer, ProduceAcks, compatibilityPartitioner, stringSerializers } =
      await import('@platformatic/kafka');
    const producer = new Producer<string, string, string, string>({
      clientId: 'tandem-bench-producer',
      bootstrapBrokers: task.brokers.split(','),
      idempotent: true,
      acks: ProduceAcks.ALL,
      serializers: stringSerializers,
      // The default partitioner is not the Java client's murmur2 (see the ADR); this one is.
      partitioner: compatibilityPartitioner,
      retries: 8,
      retryDelay: 200,
    });
    const t0 = performance.now();
    await producer.initIdempotentProducer({});
    await producer.metadata({ topics: [task.topic] });
    setupMs = performance.now() - t0;
    const t1 = performance.now();
    for (const batch of batches) {
      await producer.send({ messages: batch });
    }
    sendMs = performance.now() - t1;
    await producer.close();
  }
  return {
    kind: 'produce',
    setupMs: Math.round(setupMs),
    sendMs: Math.round(sendMs),
    msgsPerSec: Math.round(task.count / (sendMs / 1000)),
    valueBytes,
    errors: errors.summary(),
    memory: memory(),
  };
}

// --- consumers ----------------------------------------------------------------------------

interface Delivery {
  partition: number;
  key: string;
  eventId: string;
}

interface ConsumerSettings {
  brokers: string;
  topic: string;
  group: string;
  /** Called with every delivery from a partition the member owns. */
  onMessage: (delivery: Delivery) => void;
  onAssigned: (partitions: number[]) => void;
  onStale: (count: number) => void;
  /** Called once the client module is loaded, right before the first call to the broker. */
  onJoining: () => void;
}

interface RunningConsumer {
  errors: ErrorLog;
  stop(): Promise<void>;
}

// Same group settings for both clients: kafkajs' defaults, which the projector uses.
const SESSION_TIMEOUT_MS = 30_000;
const REBALANCE_TIMEOUT_MS = 60_000;
const HEARTBEAT_INTERVAL_MS = 3_000;
const MAX_BYTES_PER_PARTITION = 4 << 20; // the projector's setting

async function startKafkaJs(settings: ConsumerSettings): Promise<RunningConsumer> {
  const { Kafka, logLevel } = await import('kafkajs');
  const errors = new ErrorLog();
  const kafka = new Kafka({
    clientId: 'tandem-bench-consumer',
    brokers: settings.brokers.split(','),
    logLevel: logLevel.ERROR,
    logCreator: kafkaJsLogger(errors),
    retry: { retries: 8, initialRetryTime: 200 },
  });
  const consumer: JsConsumer = kafka.consumer({
    groupId: settings.group,
    sessionTimeout: SESSION_TIMEOUT_MS,
    rebalanceTimeout: REBALANCE_TIMEOUT_MS,
    heartbeatInterval: HEARTBEAT_INTERVAL_MS,
    maxBytesPerPartition: MAX_BYTES_PER_PARTITION,
  });
  consumer.on(consumer.events.GROUP_JOIN, (event) => {
    settings.onAssigned([...(event.payload.memberAssignment[settings.topic] ?? [])]);
  });
  consumer.on(consumer.events.CRASH, (event) => {
    errors.add(`crash: ${event.payload.error.message}`);
  });
  settings.onJoining();
  await consumer.connect();
  await consumer.subscribe({ topic: settings.topic, fromBeginning: true });
  await consumer.run({
    autoCommit: false,
    eachBatchAutoResolve: false,
    partitionsConsumedConcurrently: 1,
    eachBatch: async (payload: EachBatchPayload) => {
      const { batch } = payload;
      const last = batch.messages.at(-1);
      if (!last || !payload.isRunning()) return;
      if (payload.isStale()) {
        settings.onStale(batch.messages.length);
        return;
      }
      for (const message of batch.messages) {
        const header = message.headers?.[eventIdHeader];
        settings.onMessage({
          partition: batch.partition,
          key: message.key?.toString() ?? '',
          eventId: (Array.isArray(header) ? header[0] : header)?.toString() ?? '',
        });
      }
      payload.resolveOffset(last.offset);
      await payload.commitOffsetsIfNecessary({
        topics: [
          {
            topic: batch.topic,
            partitions: [
              { partition: batch.partition, offset: (BigInt(last.offset) + 1n).toString() },
            ],
          },
        ],
      });
      await payload.heartbeat();
    },
  });
  return { errors, stop: () => consumer.disconnect() };
}

async function startPlatformatic(settings: ConsumerSettings): Promise<RunningConsumer> {
  const { Consumer, MessagesStreamModes, MessagesStreamFallbackModes, stringDeserializer } =
    await import('@platformatic/kafka');
  const errors = new ErrorLog();
  const consumer: PltConsumer<string, Buffer, string, Buffer> = new Consumer({
    clientId: 'tandem-bench-consumer',
    groupId: settings.group,
    bootstrapBrokers: settings.brokers.split(','),
    sessionTimeout: SESSION_TIMEOUT_MS,
    rebalanceTimeout: REBALANCE_TIMEOUT_MS,
    heartbeatInterval: HEARTBEAT_INTERVAL_MS,
    maxBytesPerPartition: MAX_BYTES_PER_PARTITION,
    retries: 8,
    retryDelay: 200,
    deserializers: { key: stringDeserializer, headerKey: stringDeserializer },
  });
  let owned = new Set<number>();
  // Commit after processing, per fetch batch: every delivery of one fetch response arrives in
  // one synchronous loop, so a commit scheduled with setImmediate covers the whole batch.
  const pending = new Map<number, bigint>();
  let scheduled = false;
  let inFlight: Promise<void> | null = null;
  const flush = (): Promise<void> => {
    scheduled = false;
    if (inFlight) return inFlight.then(flush);
    const offsets = [...pending]
      .filter(([partition]) => owned.has(partition))
      .map(([partition, offset]) => ({
        topic: settings.topic,
        partition,
        offset,
        leaderEpoch: -1,
      }));
    pending.clear();
    if (offsets.length === 0) return Promise.resolve();
    inFlight = consumer
      .commit({ offsets })
      .catch((error: unknown) => errors.add(`commit: ${(error as Error).message}`))
      .finally(() => {
        inFlight = null;
      });
    return inFlight;
  };
  consumer.on('consumer:group:join', (payload) => {
    const partitions = payload.assignments?.find((a) => a.topic === settings.topic)?.partitions;
    owned = new Set(partitions ?? []);
    for (const partition of pending.keys()) if (!owned.has(partition)) pending.delete(partition);
    settings.onAssigned([...owned]);
  });
  // The closest thing to a revocation hook: the heartbeat saw REBALANCE_IN_PROGRESS and the
  // consumer is about to rejoin. Commit what was processed while the old generation is valid.
  consumer.on('consumer:group:rebalance', () => void flush());
  consumer.on('consumer:heartbeat:error', ({ error }) => errors.add(`heartbeat: ${error.message}`));
  settings.onJoining();
  const stream: PltStream<string, Buffer, string, Buffer> = await consumer.consume({
    topics: [settings.topic],
    mode: MessagesStreamModes.COMMITTED,
    fallbackMode: MessagesStreamFallbackModes.EARLIEST,
    autocommit: false,
  });
  stream.on('error', (error) => errors.add(`stream: ${error.message}`));
  stream.on('data', (message: PltMessage<string, Buffer, string, Buffer>) => {
    if (!owned.has(message.partition)) {
      settings.onStale(1);
      return;
    }
    settings.onMessage({
      partition: message.partition,
      key: message.key,
      eventId: message.headers.get(eventIdHeader)?.toString() ?? '',
    });
    pending.set(message.partition, message.offset + 1n);
    if (!scheduled) {
      scheduled = true;
      setImmediate(() => void flush());
    }
  });
  return {
    errors,
    stop: async () => {
      stream.pause();
      await flush();
      await stream.close();
      await consumer.close();
    },
  };
}

function startConsumer(client: ClientName, settings: ConsumerSettings): Promise<RunningConsumer> {
  return client === 'kafkajs' ? startKafkaJs(settings) : startPlatformatic(settings);
}

async function consume(task: Extract<WorkerTask, { task: 'consume' }>): Promise<ConsumeResult> {
  const memory = memorySampler();
  const seen = new Uint8Array(task.count);
  const lastOfLead = new Int32Array(LEADS).fill(-1);
  const leadPartition = new Int8Array(LEADS).fill(-1);
  let received = 0;
  let distinct = 0;
  let duplicates = 0;
  let orderViolations = 0;
  let stale = 0;
  let firstAt = 0;
  let lastAt = 0;
  let allReceived!: () => void;
  const done = new Promise<void>((resolve) => (allReceived = resolve));

  let t0 = 0;
  const consumer = await startConsumer(task.client, {
    brokers: task.brokers,
    topic: task.topic,
    group: task.group,
    onJoining: () => (t0 = performance.now()),
    onAssigned: () => undefined,
    onStale: (count) => (stale += count),
    onMessage: ({ partition, key, eventId }) => {
      if (received++ === 0) firstAt = performance.now();
      const index = sequenceOf(eventId);
      const lead = sequenceOf(key);
      if (seen[index]) duplicates++;
      else {
        seen[index] = 1;
        if (++distinct === task.count) {
          lastAt = performance.now();
          allReceived();
        }
      }
      if (index < (lastOfLead[lead] ?? -1)) orderViolations++;
      lastOfLead[lead] = index;
      const before = leadPartition[lead];
      if (before === -1) leadPartition[lead] = partition;
      else if (before !== partition) leadPartition[lead] = -2;
    },
  });
  await done;
  await consumer.stop();
  const totalMs = lastAt - t0;
  return {
    kind: 'consume',
    totalMs: Math.round(totalMs),
    firstMessageMs: Math.round(firstAt - t0),
    msgsPerSec: Math.round(task.count / (totalMs / 1000)),
    received,
    duplicates,
    orderViolations,
    stale,
    leadPartitions: Array.from(leadPartition),
    errors: consumer.errors.summary(),
    memory: memory(),
  };
}

async function member(task: Extract<WorkerTask, { task: 'member' }>): Promise<MemberResult> {
  const memory = memorySampler();
  let indices: number[] = [];
  let received = 0;
  let stale = 0;
  const progress = setInterval(() => {
    if (indices.length === 0) return;
    void send({ type: 'progress', indices });
    indices = [];
  }, 100);
  let stopRequested!: () => void;
  const stopped = new Promise<void>((resolve) => (stopRequested = resolve));
  process.on('message', (command: ParentCommand) => {
    if (command.type === 'stop') stopRequested();
  });

  const consumer = await startConsumer(task.client, {
    brokers: task.brokers,
    topic: task.topic,
    group: task.group,
    onJoining: () => void send({ type: 'joining', at: Date.now() }),
    onAssigned: (partitions) => void send({ type: 'assigned', at: Date.now(), partitions }),
    onStale: (count) => (stale += count),
    onMessage: ({ eventId }) => {
      received++;
      indices.push(sequenceOf(eventId));
    },
  });
  await stopped;
  await consumer.stop();
  clearInterval(progress);
  if (indices.length > 0) await send({ type: 'progress', indices });
  return { kind: 'member', received, stale, errors: consumer.errors.summary(), memory: memory() };
}

async function main(): Promise<void> {
  const task = JSON.parse(process.argv[2] ?? '') as WorkerTask;
  try {
    const result =
      task.task === 'produce'
        ? await produce(task)
        : task.task === 'consume'
          ? await consume(task)
          : await member(task);
    await send({ type: 'result', result });
    process.exit(0);
  } catch (error) {
    await send({
      type: 'error',
      message: error instanceof Error ? (error.stack ?? error.message) : String(error),
    });
    process.exit(1);
  }
}

if (require.main === module) void main();
