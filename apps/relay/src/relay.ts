/**
 * The relay: follows the event store's global log and publishes every event to
 * Kafka — the only path from the store to the bus, so the API never writes to
 * two places. The checkpoint (kept in the store, optimistic) advances only after
 * the broker acknowledged the batch (acks=all, idempotent producer): a crash
 * re-publishes at most the last unacknowledged batch. At least once, in order
 * per lead (key = leadId).
 * It must never advance the checkpoint past an unacknowledged event.
 *
 * Kafka refuses a record batch larger than the topic's max.message.bytes, and the client puts
 * a request's messages for one partition in one batch: so a batch of events goes out in
 * requests of at most `maxMessageBytes` each, one after the other (order per partition holds),
 * each checkpointed once acknowledged. An event larger than that alone cannot be published: the
 * relay stops there with an error naming it and the setting to raise, rather than skip it (a
 * consumer would miss it) or retry for ever in silence.
 */
import { SpanKind } from '@opentelemetry/api';
import { type EventMessage, toEventMessage } from '@tandem/contracts';
import type { EventStore, RecordedEvent, Subscription } from '@tandem/event-store';
import { carriesTrace, endWithError, spanHeaders, startSpanFrom } from '@tandem/observability';
import type { KafkaProducer } from '@tandem/messaging';
import type { Logger } from 'pino';

export interface RelayOptions {
  readonly topic: string;
  /** Checkpoint name in the store; one active relay per name. */
  readonly checkpoint: string;
  readonly batchSize: number;
  /** The topic's max.message.bytes (TANDEM_KAFKA_MAX_MESSAGE_BYTES). */
  readonly maxMessageBytes: number;
}

/** What a record adds to a batch beyond its key, value and headers (Kafka's record format). */
const RECORD_OVERHEAD_BYTES = 64;
/** What a record batch takes before its first record (Kafka's batch header). */
const BATCH_OVERHEAD_BYTES = 128;

/** A record's size in a batch, from above: its bytes plus the format's overhead. */
export function recordBytes(message: EventMessage): number {
  let bytes = RECORD_OVERHEAD_BYTES + Buffer.byteLength(message.key);
  bytes += Buffer.byteLength(message.value);
  for (const [name, value] of Object.entries(message.headers)) {
    bytes += 8 + Buffer.byteLength(name) + Buffer.byteLength(value);
  }
  return bytes;
}

/**
 * Consecutive runs of `sizes` whose sum stays within `limit` (less a batch's header), each at
 * least one item: the requests a batch of events goes out in. Pure, for the unit spec.
 */
export function requestsWithin(sizes: readonly number[], limit: number): number[][] {
  const requests: number[][] = [];
  let current: number[] = [];
  let bytes = BATCH_OVERHEAD_BYTES;
  sizes.forEach((size, index) => {
    if (current.length > 0 && bytes + size > limit) {
      requests.push(current);
      current = [];
      bytes = BATCH_OVERHEAD_BYTES;
    }
    current.push(index);
    bytes += size;
  });
  if (current.length > 0) requests.push(current);
  return requests;
}

export class Relay {
  private subscription: Subscription | null = null;
  private position: bigint | null = null;
  private published = 0;

  constructor(
    private readonly store: EventStore,
    private readonly producer: KafkaProducer,
    private readonly options: RelayOptions,
    private readonly logger: Logger,
  ) {}

  async start(): Promise<void> {
    const checkpoint = await this.store.checkpoints.load(this.options.checkpoint);
    this.position = checkpoint?.position ?? null;
    this.subscription = this.store.subscribeToAll({
      after: this.position,
      batchSize: this.options.batchSize,
      handle: (batch) => this.publish(batch),
    });
  }

  /** Resolves when the relay stops; rejects with the reason it had to. */
  get done(): Promise<void> {
    return this.subscription?.done ?? Promise.resolve();
  }

  async stop(): Promise<void> {
    await this.subscription?.stop();
  }

  status() {
    return { position: this.position?.toString() ?? null, published: this.published };
  }

  private async publish(batch: readonly RecordedEvent[]): Promise<void> {
    const messages = batch.map((record) => toEventMessage(record));
    const sizes = messages.map(recordBytes);
    const limit = this.options.maxMessageBytes;
    const tooLarge = sizes.findIndex((size) => size + BATCH_OVERHEAD_BYTES > limit);
    // Those before it go out first: the relay stops at the event, not before it.
    const publishable = tooLarge === -1 ? batch.length : tooLarge;
    for (const request of requestsWithin(sizes.slice(0, publishable), limit)) {
      await this.publishRequest(
        request.map((index) => batch[index]!),
        request.map((index) => messages[index]!),
      );
    }
    if (tooLarge !== -1) {
      const record = batch[tooLarge]!;
      throw new Error(
        `event ${record.eventId} (${record.type}, position ${record.globalPosition}) takes ` +
          `${sizes[tooLarge]} bytes as a Kafka message, over TANDEM_KAFKA_MAX_MESSAGE_BYTES ` +
          `(${limit}): raise it, and the topic's max.message.bytes, to publish it; nothing from ` +
          `it on is published until then`,
      );
    }
  }

  /** One produce request (within the topic's largest batch), acknowledged, then checkpointed. */
  private async publishRequest(
    batch: readonly RecordedEvent[],
    messages: readonly EventMessage[],
  ): Promise<void> {
    const last = batch.at(-1);
    if (!last) return;
    // One span per event that carries a trace (none when tracing is off): the event's
    // traceparent header then names this span, so the projector's span is its child.
    const spans = batch.map((record) =>
      carriesTrace(record.metadata)
        ? startSpanFrom(record.metadata, `publish ${this.options.topic}`, SpanKind.PRODUCER, {
            'messaging.system': 'kafka',
            'messaging.destination.name': this.options.topic,
            'tandem.event.type': record.type,
          })
        : null,
    );
    try {
      // Resolves once the broker acknowledged every message (idempotent producer: acks=all).
      await this.producer.send({
        messages: messages.map((message, index) => {
          const span = spans[index];
          const headers = span ? { ...message.headers, ...spanHeaders(span) } : message.headers;
          return { topic: this.options.topic, key: message.key, value: message.value, headers };
        }),
      });
    } catch (error) {
      for (const span of spans) if (span) endWithError(span, error);
      throw error;
    }
    for (const span of spans) span?.end();
    // A conflict here means a second relay advanced the same checkpoint: stop, loudly.
    await this.store.checkpoints.save(this.options.checkpoint, last.globalPosition, this.position);
    this.position = last.globalPosition;
    this.published += batch.length;
    for (const record of batch) {
      const metadata = record.metadata as { correlationId?: string };
      this.logger.debug(
        { eventId: record.eventId, type: record.type, correlationId: metadata.correlationId },
        'event published',
      );
    }
    this.logger.info(
      { count: batch.length, position: last.globalPosition.toString() },
      'batch published and checkpointed',
    );
  }
}
