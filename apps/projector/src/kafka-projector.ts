/**
 * Server mode's projector: a Kafka consumer-group member that writes ClickHouse
 * in batches. Exactly-once numbers on at-least-once delivery: lead_events is
 * idempotent on event id, so a batch redelivered after a crash, a rebalance or a
 * retry collapses on read. Scale out by starting more members of the group.
 *
 * A batch is three steps with typed outcomes (StepOutcome): decode each message
 * (undecodable → dlq), write the valid ones (a ClickHouse failure → retry the same
 * batch in place with back-off, heartbeating; the projection's contract refuses some
 * → dlq), and send the dead letters to the DLQ topic (a broker failure → retry).
 * Only then is the offset committed. It must never commit an offset whose event is
 * neither projected nor dead-lettered.
 */
import type { ClickHouseClient } from '@clickhouse/client';
import {
  projectBatch,
  retryOnFailure,
  StepCancelledError,
  untilSettled,
  type RetryLoopOptions,
} from '@tandem/analytics';
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
  /** The reason the current batch is being retried; null once a batch goes through. */
  private failure: string | null = null;

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
    return {
      projected: this.projected,
      deadLettered: this.deadLettered,
      crashed: this.crashed,
      failure: this.failure,
    };
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
      // A rebalance or shutdown took the partition while the batch was retrying: nothing is
      // committed, and whoever gets the partition reads the batch again.
      if (error instanceof StepCancelledError) return;
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
        envelopes.push(outcome.value);
        indexOf.set(outcome.value.eventId, index);
      } else if (outcome.kind === 'dlq') dead.push({ index, reason: outcome.reason });
    });

    const retrying = this.retryLoop(payload);
    const written = await untilSettled(
      (attempt) =>
        retryOnFailure(attempt, () =>
          projectBatch(this.analytics, envelopes, { database: this.options.database }),
        ),
      retrying,
    );
    // A write's outcome is ok or retry; retries are settled above.
    if (written.kind !== 'ok') throw new Error(`batch not written: ${written.reason}`);
    // Valid JSON envelopes can still break the projection's contract (e.g. a lead
    // event without a lead id): those are dead letters too.
    for (const invalid of written.value.invalid) {
      dead.push({ index: indexOf.get(invalid.eventId) ?? -1, reason: invalid.reason });
    }
    if (dead.length > 0) {
      await untilSettled(
        (attempt) => retryOnFailure(attempt, () => this.sendToDlq(batch, dead)),
        retrying,
      );
    }
    this.failure = null;
    // Counted before the commit: whoever sees the offset committed sees the counts too.
    this.projected += written.value.projected;
    this.deadLettered += dead.length;

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
      { partition: batch.partition, offset: last.offset, projected: written.value.projected },
      'batch projected and committed',
    );
  }

  private async sendToDlq(
    batch: EachBatchPayload['batch'],
    dead: readonly { index: number; reason: string }[],
  ): Promise<void> {
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

  /**
   * Retries of a batch stay inside eachBatch, so the partition stays paused at it; the back-off
   * heartbeats (the group keeps the member) and gives up when the partition is taken away.
   */
  private retryLoop(payload: EachBatchPayload): RetryLoopOptions {
    const cancelled = () => !payload.isRunning() || payload.isStale();
    return {
      cancelled,
      onRetry: ({ reason, attempt, delayMs }) => {
        this.failure = reason;
        this.logger?.error(
          { partition: payload.batch.partition, attempt, delayMs, reason },
          'batch failed, retrying',
        );
      },
      sleep: async (ms) => {
        const until = Date.now() + ms;
        while (!cancelled() && Date.now() < until) {
          await new Promise((resolve) => setTimeout(resolve, Math.min(1_000, until - Date.now())));
          await payload.heartbeat();
        }
      },
    };
  }
}
