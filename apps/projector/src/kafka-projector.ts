/**
 * Server mode's projector: a Kafka consumer-group member that writes ClickHouse
 * in batches. Exactly-once numbers on at-least-once delivery: lead_events is
 * idempotent on event id, so a batch redelivered after a crash, a rebalance or a
 * retry collapses on read. Offsets are committed only after the batch (and its
 * dead letters) are written. Scale out by starting more members of the group.
 * It must never commit an offset whose event is neither projected nor dead-lettered.
 */
import type { ClickHouseClient } from '@clickhouse/client';
import { projectBatch } from '@tandem/analytics';
import { eventHeaders, readEventHeaders, type TandemEnvelope } from '@tandem/contracts';
import { SpanKind } from '@opentelemetry/api';
import { carriesTrace, endWithError, startSpanFrom } from '@tandem/observability';
import type { Admin, Consumer, EachBatchPayload, Producer } from 'kafkajs';
import type { Logger } from 'pino';
import { classifyMessage } from './message-outcome';

export interface KafkaProjectorOptions {
  readonly topic: string;
  readonly dlqTopic: string;
  readonly groupId: string;
  readonly database: string;
}

export interface PartitionLag {
  readonly partition: number;
  readonly committed: string;
  readonly high: string;
  readonly lag: string;
}

export class KafkaProjector {
  private projected = 0;
  private deadLettered = 0;
  private crashed: string | null = null;

  constructor(
    private readonly consumer: Consumer,
    private readonly dlqProducer: Producer,
    private readonly admin: Admin,
    private readonly analytics: ClickHouseClient,
    private readonly options: KafkaProjectorOptions,
    private readonly logger?: Logger,
  ) {}

  async start(): Promise<void> {
    this.consumer.on(this.consumer.events.CRASH, (event) => {
      this.crashed = event.payload.error.message;
    });
    await this.consumer.subscribe({ topic: this.options.topic, fromBeginning: true });
    await this.consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      partitionsConsumedConcurrently: 1,
      eachBatch: (payload) => this.handleBatch(payload),
    });
  }

  status() {
    return { projected: this.projected, deadLettered: this.deadLettered, crashed: this.crashed };
  }

  /** Per partition: committed offset of the group, high watermark, and the difference. */
  async lag(): Promise<PartitionLag[]> {
    const [committed] = await this.admin.fetchOffsets({
      groupId: this.options.groupId,
      topics: [this.options.topic],
    });
    const high = await this.admin.fetchTopicOffsets(this.options.topic);
    return high
      .map(({ partition, high: end }) => {
        const offset = committed?.partitions.find((p) => p.partition === partition)?.offset ?? '-1';
        const done = BigInt(offset) < 0n ? 0n : BigInt(offset);
        return { partition, committed: offset, high: end, lag: (BigInt(end) - done).toString() };
      })
      .sort((a, b) => a.partition - b.partition);
  }

  private async handleBatch(payload: EachBatchPayload): Promise<void> {
    const { batch } = payload;
    const last = batch.messages.at(-1);
    if (!last || !payload.isRunning() || payload.isStale()) return;

    // A CONSUMER span per traced message (none when tracing is off), child of the relay's
    // publish span: the command's trace ends here, when its event is projected.
    const spans = batch.messages.map((message) =>
      carriesTrace(message.headers)
        ? startSpanFrom(message.headers, `process ${batch.topic}`, SpanKind.CONSUMER, {
            'messaging.system': 'kafka',
            'messaging.destination.name': batch.topic,
            'messaging.kafka.offset': message.offset,
          })
        : null,
    );
    try {
      await this.projectAndCommit(payload);
    } catch (error) {
      for (const span of spans) if (span) endWithError(span, error);
      throw error;
    }
    for (const span of spans) span?.end();
  }

  private async projectAndCommit(payload: EachBatchPayload): Promise<void> {
    const { batch } = payload;
    const last = batch.messages.at(-1);
    if (!last) return;
    const envelopes: TandemEnvelope[] = [];
    const dead: { index: number; reason: string }[] = [];
    // By the decoded value's id, not a header: older messages may carry no id header at all.
    const indexOf = new Map<string, number>();
    batch.messages.forEach((message, index) => {
      const outcome = classifyMessage(message);
      if (outcome.kind === 'ok') {
        envelopes.push(outcome.envelope);
        indexOf.set(outcome.envelope.eventId, index);
      } else dead.push({ index, reason: outcome.reason });
    });

    const written = await projectBatch(this.analytics, envelopes, {
      database: this.options.database,
    });
    // Valid JSON envelopes can still break the projection's contract (e.g. a lead
    // event without a lead id): those are dead letters too.
    for (const invalid of written.invalid) {
      dead.push({ index: indexOf.get(invalid.eventId) ?? -1, reason: invalid.reason });
    }
    if (dead.length > 0) {
      await this.dlqProducer.send({
        topic: this.options.dlqTopic,
        acks: -1,
        messages: dead.map(({ index, reason }) => {
          const message = batch.messages[index];
          return {
            key: message?.key ?? null,
            value: message?.value ?? null,
            headers: {
              ...(message?.headers ?? {}),
              [eventHeaders.dlqReason]: reason,
              'tandem-source': `${batch.topic}/${batch.partition}/${message?.offset ?? '?'}`,
            },
          };
        }),
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
    this.projected += written.projected;
    this.deadLettered += dead.length;
    for (const { index, reason } of dead) {
      const message = batch.messages[index];
      this.logger?.warn(
        {
          offset: message?.offset,
          partition: batch.partition,
          correlationId: readEventHeaders(message?.headers).correlationId,
          reason,
        },
        'message dead-lettered',
      );
    }
    this.logger?.info(
      { partition: batch.partition, offset: last.offset, projected: written.projected },
      'batch projected and committed',
    );
  }
}
