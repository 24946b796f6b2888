/**
 * The subscribe helper for downstream teams on kafkajs: one call turns Tandem's
 * lead-event topic into validated, upcast `TandemEnvelope`s handed to `handle`,
 * one at a time, in order per lead (per partition). Teams on @platformatic/kafka use
 * `subscribeWithPlatformatic` (subscribe.platformatic.ts): the same behaviour.
 *
 * Delivery is at least once. Event ids seen recently are skipped (a bounded
 * window, in memory), so a handler must still be idempotent across restarts.
 * `handle` answers with an outcome instead of throwing: 'ok' (done), 'retry'
 * (transient failure: try again with backoff, the partition waits, so order is
 * kept) or 'dlq' (never going to work: park it in `<topic>.dlq` and go on). A
 * throw counts as 'retry'. Messages that do not decode go to the DLQ with the
 * reason in the `tandem-dlq-reason` header (lead-event-delivery.ts decides all this).
 *
 * It must never commit an offset before its message reached 'ok' or the DLQ,
 * and never import kafkajs at run time (the caller brings its own client, with
 * its own TLS/SASL settings; the DLQ topic must exist, as any topic should).
 */
import type { IHeaders, Kafka } from 'kafkajs';
import { createDelivery, type DeliveryOptions } from './lead-event-delivery';
import { LEAD_EVENTS_TOPIC } from './topics';

export type { DeadLetter, HandleOutcome } from './lead-event-delivery';

export interface SubscribeOptions extends DeliveryOptions {
  readonly kafka: Pick<Kafka, 'consumer' | 'producer'>;
  /** Where a group without committed offsets starts (kafkajs semantics). Default false. */
  readonly fromBeginning?: boolean;
  /** Called when the consumer crashed and kafkajs will not restart it. */
  readonly onCrash?: (error: Error) => void;
}

export interface Subscription {
  stop(): Promise<void>;
}

export async function subscribeToLeadEvents(options: SubscribeOptions): Promise<Subscription> {
  const topic = options.topic ?? LEAD_EVENTS_TOPIC;
  const consumer = options.kafka.consumer({ groupId: options.groupId });
  const producer = options.kafka.producer({
    allowAutoTopicCreation: false,
    // Dead letters are few and read in arrival order: all go to one partition of the DLQ.
    createPartitioner: () => (args) => args.partitionMetadata[0]?.partitionId ?? 0,
  });
  const delivery = createDelivery(options, topic, async (record) => {
    await producer.send({
      topic: `${topic}.dlq`,
      acks: -1,
      messages: [
        {
          key: record.key === null ? null : Buffer.from(record.key),
          value: record.value === null ? null : Buffer.from(record.value),
          headers: record.headers as IHeaders,
        },
      ],
    });
  });

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
            if (!ours()) break;
            const outcome = await delivery.settle(
              {
                partition: batch.partition,
                offset: message.offset,
                key: message.key,
                value: message.value,
                headers: message.headers ?? {},
              },
              wait,
            );
            if (outcome === 'interrupted') break;
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
