/**
 * The subscribe helper for downstream teams on kafkajs: one call turns Tandem's
 * lead-event topic into validated, upcast `TandemEnvelope`s handed to `handle`,
 * one at a time, in order per lead (per partition).
 *
 * Delivery is at least once. Event ids seen recently are skipped (a bounded
 * window, in memory), so a handler must still be idempotent across restarts.
 * `handle` answers with an outcome instead of throwing: 'ok' (done), 'retry'
 * (transient failure: try again with backoff, the partition waits, so order is
 * kept) or 'dlq' (never going to work: park it in `<topic>.dlq` and go on). A
 * throw counts as 'retry'. Messages that do not decode go to the DLQ with the
 * reason in the `tandem-dlq-reason` header.
 *
 * It must never commit an offset before its message reached 'ok' or the DLQ,
 * and never import kafkajs at run time (the caller brings its own client, with
 * its own TLS/SASL settings; the DLQ topic must exist, as any topic should).
 */
import type { Kafka, KafkaMessage } from 'kafkajs';
import type { Upcasters } from './envelope.codec';
import { decodeMessage, eventHeaders, readEventHeaders } from './kafka-message.codec';
import type { TandemEnvelope } from './tandem-event';
import { LEAD_EVENTS_TOPIC } from './topics';

export type HandleOutcome = 'ok' | 'retry' | 'dlq';

export interface DeadLetter {
  readonly reason: string;
  readonly partition: number;
  readonly offset: string;
  /** Null when the message did not decode. */
  readonly eventId: string | null;
}

export interface SubscribeOptions {
  readonly kafka: Pick<Kafka, 'consumer' | 'producer'>;
  readonly groupId: string;
  /** Default `tandem.lead-events.v1`. Dead letters go to `<topic>.dlq`. */
  readonly topic?: string;
  /** Where a group without committed offsets starts (kafkajs semantics). Default false. */
  readonly fromBeginning?: boolean;
  readonly handle: (envelope: TandemEnvelope) => Promise<HandleOutcome>;
  /** Called after a message was written to the DLQ (e.g. to count or log it). */
  readonly onDeadLetter?: (letter: DeadLetter) => void | Promise<void>;
  /** Called when the consumer crashed and kafkajs will not restart it. */
  readonly onCrash?: (error: Error) => void;
  readonly upcasters?: Upcasters;
  /** How many recent event ids are remembered for dedupe. Default 10 000. */
  readonly dedupeWindow?: number;
  /** Backoff doubles from initialMs to maxMs; after maxAttempts → DLQ. Default: retry until stopped. */
  readonly retry?: {
    readonly initialMs?: number;
    readonly maxMs?: number;
    readonly maxAttempts?: number;
  };
}

export interface Subscription {
  stop(): Promise<void>;
}

type Settled = 'done' | 'interrupted';

export async function subscribeToLeadEvents(options: SubscribeOptions): Promise<Subscription> {
  const topic = options.topic ?? LEAD_EVENTS_TOPIC;
  const window = options.dedupeWindow ?? 10_000;
  const { initialMs = 200, maxMs = 30_000, maxAttempts = Infinity } = options.retry ?? {};
  const seen = new Set<string>(); // insertion order = age
  const remember = (eventId: string) => {
    seen.add(eventId);
    for (const oldest of seen) {
      if (seen.size <= window) break;
      seen.delete(oldest);
    }
  };
  const consumer = options.kafka.consumer({ groupId: options.groupId });
  const producer = options.kafka.producer({
    allowAutoTopicCreation: false,
    // Dead letters are few and read in arrival order: all go to one partition of the DLQ.
    createPartitioner: () => (args) => args.partitionMetadata[0]?.partitionId ?? 0,
  });

  async function deadLetter(partition: number, message: KafkaMessage, reason: string) {
    const eventId = readEventHeaders(message.headers).eventId;
    await producer.send({
      topic: `${topic}.dlq`,
      acks: -1,
      messages: [
        {
          key: message.key,
          value: message.value,
          headers: {
            ...message.headers,
            [eventHeaders.dlqReason]: reason,
            'tandem-source': `${topic}/${partition}/${message.offset}`,
            'tandem-dlq-group': options.groupId,
          },
        },
      ],
    });
    // Observation only: a failing callback must not write the same dead letter again.
    await Promise.resolve({ reason, partition, offset: message.offset, eventId })
      .then((letter) => options.onDeadLetter?.(letter))
      .catch(() => undefined);
  }

  /** Runs one message to a final outcome, or gives up when the batch is no longer ours. */
  async function settle(
    partition: number,
    message: KafkaMessage,
    wait: (ms: number) => Promise<boolean>,
  ): Promise<Settled> {
    const decoded = decodeMessage(message, options.upcasters);
    if (!decoded.ok) return deadLetter(partition, message, decoded.reason).then(() => 'done');
    const { envelope } = decoded;
    const { eventId } = envelope;
    if (seen.has(eventId)) return 'done';
    let lastError = '';
    for (let attempt = 1; ; attempt++) {
      const outcome = await Promise.resolve(envelope)
        .then(options.handle)
        .catch((error: unknown) => {
          lastError = `: ${error instanceof Error ? error.message : String(error)}`;
          return 'retry' as const;
        });
      if (outcome === 'ok' || outcome === 'dlq' || attempt >= maxAttempts) {
        if (outcome === 'dlq') {
          await deadLetter(partition, message, `handler of ${options.groupId} answered dlq`);
        } else if (outcome !== 'ok') {
          await deadLetter(
            partition,
            message,
            `handler still retrying after ${attempt} tries${lastError}`,
          );
        }
        remember(eventId);
        return 'done';
      }
      if (!(await wait(Math.min(maxMs, initialMs * 2 ** (attempt - 1))))) return 'interrupted';
    }
  }

  consumer.on(consumer.events.CRASH, ({ payload }) => {
    if (!payload.restart) options.onCrash?.(payload.error);
  });
  try {
    await producer.connect();
    await consumer.connect();
    await consumer.subscribe({ topics: [topic], fromBeginning: options.fromBeginning ?? false });
    await consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      eachBatch: async (payload) => {
        const { batch } = payload;
        const ours = () => payload.isRunning() && !payload.isStale();
        let settled: string | null = null; // last offset that reached 'ok' or the DLQ
        const commit = async () => {
          if (settled === null) return;
          const offset = (BigInt(settled) + 1n).toString();
          settled = null;
          await payload.commitOffsetsIfNecessary({
            topics: [{ topic: batch.topic, partitions: [{ partition: batch.partition, offset }] }],
          });
        };
        // Commits what is done, then sleeps in short slices so the group keeps seeing heartbeats.
        const wait = async (ms: number) => {
          await commit();
          for (const until = Date.now() + ms; ours() && Date.now() < until;) {
            await new Promise((resolve) => setTimeout(resolve, Math.min(500, until - Date.now())));
            await payload.heartbeat();
          }
          return ours();
        };
        try {
          for (const message of batch.messages) {
            if (!ours() || (await settle(batch.partition, message, wait)) === 'interrupted') break;
            payload.resolveOffset(message.offset);
            settled = message.offset;
            await payload.heartbeat();
          }
        } finally {
          await commit();
        }
      },
    });
  } catch (error) {
    await Promise.allSettled([consumer.disconnect(), producer.disconnect()]);
    throw error;
  }
  return {
    stop: async () => {
      await consumer.disconnect();
      await producer.disconnect();
    },
  };
}
