/**
 * The subscribe helper for downstream teams on @platformatic/kafka 2.x: the same behaviour as
 * the kafkajs one (subscribe.ts) — validated, upcast envelopes handed to `handle` one at a time,
 * in order per partition, `ok | retry | dlq`, a dedupe window, the DLQ — on that client's
 * message stream. You bring a `Consumer` (its `groupId` is your group) and a `Producer` for the
 * DLQ, both built with your brokers, TLS and SASL and the default (Buffer) serialisers; the
 * helper leaves them open when it stops, so close them after `stop()`.
 *
 * What this client needs that kafkajs did on its own:
 * - the stream reads from the group's committed offsets and never autocommits (its defaults,
 *   `latest` and autocommit, would skip messages and commit them before `handle` ran);
 * - after a rebalance the stream still delivers what it buffered from partitions that moved:
 *   those are skipped (the new owner reads them from the committed offset), and a retry gives
 *   up when its partition goes;
 * - after a rejoin a kept partition is read again from its committed offset: offsets this
 *   subscription already settled are skipped.
 * It must never commit an offset before its message reached 'ok' or the DLQ, and never import
 * @platformatic/kafka at run time (types only: it is an optional peer dependency).
 */
import type { Consumer, Message, MessagesStream, Producer } from '@platformatic/kafka';
import { createDelivery, type DeliveryOptions } from './lead-event-delivery';
import type { HeaderValue } from './kafka-message.codec';
import { streamReader } from './message-stream.reader';
import type { Subscription } from './subscribe';
import { LEAD_EVENTS_TOPIC } from './topics';

type PlatformaticMessage = Message<Buffer, Buffer, Buffer, Buffer>;

export interface PlatformaticSubscribeOptions extends Omit<DeliveryOptions, 'groupId'> {
  /** A consumer of your own group (`groupId` is set when you build it). */
  readonly consumer: Consumer;
  /** Writes dead letters to `<topic>.dlq`; an idempotent producer (acks=all) is advised. */
  readonly producer: Producer;
  /** Where a group without committed offsets starts: the first offset, or new messages only. Default false. */
  readonly fromBeginning?: boolean;
  /** Called when the message stream failed and the subscription ended. */
  readonly onCrash?: (error: Error) => void;
}

/** At most this many messages are taken from the stream's buffer at once. */
const MAX_BATCH = 500;

export async function subscribeWithPlatformatic(
  options: PlatformaticSubscribeOptions,
): Promise<Subscription> {
  const topic = options.topic ?? LEAD_EVENTS_TOPIC;
  const { consumer, producer } = options;
  const delivery = createDelivery({ ...options, groupId: consumer.groupId }, topic, (record) =>
    producer
      .send({
        acks: -1,
        messages: [
          {
            topic: `${topic}.dlq`,
            // Dead letters are few and read in arrival order: all go to one partition.
            partition: 0,
            ...(record.key === null ? {} : { key: Buffer.from(record.key) }),
            ...(record.value === null ? {} : { value: Buffer.from(record.value) }),
            headers: bufferHeaders(record.headers),
          },
        ],
      })
      .then(() => undefined),
  );
  const stream: MessagesStream<Buffer, Buffer, Buffer, Buffer> = await consumer.consume({
    topics: [topic],
    mode: 'committed',
    fallbackMode: options.fromBeginning === true ? 'earliest' : 'latest',
    autocommit: false,
  });
  stream.on('error', (error) => options.onCrash?.(error));
  let stopping = false;
  const owns = (partition: number) =>
    !stopping &&
    (consumer.assignments?.some((a) => a.topic === topic && a.partitions.includes(partition)) ??
      false);
  /** Per partition: the next offset not settled yet (committed, or about to be). */
  const settled = new Map<number, { offset: bigint; leaderEpoch: number }>();
  const committed = new Map<number, bigint>();

  const commit = async (partition: number) => {
    const next = settled.get(partition);
    if (!next || committed.get(partition) === next.offset || !owns(partition)) return;
    // A failed commit is covered by the next one, or by the next owner reading from the last.
    await consumer
      .commit({ offsets: [{ topic, partition, ...next }] })
      .then(() => committed.set(partition, next.offset))
      .catch(() => undefined);
  };

  async function settleBatch(partition: number, messages: readonly PlatformaticMessage[]) {
    // Commits what is done, then sleeps in short slices; heartbeats run on their own timer.
    const wait = async (ms: number) => {
      await commit(partition);
      for (const until = Date.now() + ms; owns(partition) && Date.now() < until;) {
        await new Promise((resolve) => setTimeout(resolve, Math.min(500, until - Date.now())));
      }
      return owns(partition);
    };
    try {
      for (const message of messages) {
        if (!owns(partition)) break;
        if (message.offset < (settled.get(partition)?.offset ?? -1n)) continue;
        const outcome = await delivery.settle(
          {
            partition,
            offset: message.offset.toString(),
            key: message.key ?? null,
            value: message.value ?? null,
            headers: Object.fromEntries(
              [...message.headers].map(([name, value]) => [name.toString(), value]),
            ),
          },
          wait,
        );
        if (outcome === 'interrupted') break;
        settled.set(partition, { offset: message.offset + 1n, leaderEpoch: message.leaderEpoch });
      }
    } finally {
      await commit(partition);
    }
  }

  const nextMessages = streamReader<PlatformaticMessage>(stream, MAX_BATCH);
  const loop = (async () => {
    for (;;) {
      const messages = await nextMessages();
      if (messages === null || stopping) return;
      const byPartition = new Map<number, PlatformaticMessage[]>();
      for (const message of messages) {
        const group = byPartition.get(message.partition) ?? [];
        group.push(message);
        byPartition.set(message.partition, group);
      }
      for (const [partition, group] of byPartition) {
        if (stopping) return;
        await settleBatch(partition, group);
      }
    }
  })();

  return {
    stop: async () => {
      stopping = true;
      await stream.close();
      await loop;
    },
  };
}

/**
 * Headers as this client writes them: a Map of bytes to bytes (repeated values: the first).
 * Bytes, not text, because the default (no-op) serialisers pass header names through as they
 * are, and a text name in a record is not something the client can write.
 */
function bufferHeaders(headers: Readonly<Record<string, HeaderValue>>): Map<Buffer, Buffer> {
  const out = new Map<Buffer, Buffer>();
  for (const [name, value] of Object.entries(headers)) {
    const first = Array.isArray(value) ? (value as readonly (string | Uint8Array)[])[0] : value;
    if (first !== null && first !== undefined) {
      out.set(Buffer.from(name), Buffer.from(first as string | Uint8Array));
    }
  }
  return out;
}
