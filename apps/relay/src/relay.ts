/**
 * The relay: follows the event store's global log and publishes every event to
 * Kafka — the only path from the store to the bus, so the API never writes to
 * two places. The checkpoint (kept in the store, optimistic) advances only after
 * the broker acknowledged the batch (acks=all, idempotent producer): a crash
 * re-publishes at most the last unacknowledged batch. At least once, in order
 * per lead (key = leadId).
 * It must never advance the checkpoint past an unacknowledged event.
 */
import { SpanKind } from '@opentelemetry/api';
import { toEventMessage } from '@tandem/contracts';
import type { EventStore, RecordedEvent, Subscription } from '@tandem/event-store';
import { carriesTrace, endWithError, spanHeaders, startSpanFrom } from '@tandem/observability';
import type { KafkaProducer } from '@tandem/messaging';
import type { Logger } from 'pino';

export interface RelayOptions {
  readonly topic: string;
  /** Checkpoint name in the store; one active relay per name. */
  readonly checkpoint: string;
  readonly batchSize: number;
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
        messages: batch.map((record, index) => {
          const message = toEventMessage(record);
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
