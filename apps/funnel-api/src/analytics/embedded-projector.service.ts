/**
 * Embedded mode's projector: follows the store's global log from the projection's checkpoint
 * and writes each batch into the analytics tables through LogProjection, which owns the
 * checkpoints (never ahead of what they cover) and defers the rules while it catches up.
 * Redelivery is harmless: every write is idempotent, so a failed batch (ClickHouse down, a
 * full disk) is retried from the checkpoints with back-off until it goes through.
 * It must never stop silently: a failure is kept and shown on /health until a batch succeeds.
 */
import { SpanKind } from '@opentelemetry/api';
import {
  Inject,
  Injectable,
  Logger,
  type OnApplicationBootstrap,
  type OnModuleDestroy,
} from '@nestjs/common';
import {
  BulkLogProjection,
  LogProjection,
  postgresLogSource,
  resetAnalytics,
} from '@tandem/analytics';
import type { TandemConfig } from '@tandem/config';
import { decodeStoredEvent, type TandemEnvelope } from '@tandem/contracts';
import type { EventStore, RecordedEvent, Subscription } from '@tandem/event-store';
import { carriesTrace, endWithError, startSpanFrom } from '@tandem/observability';
import type { AnalyticsHandle } from '../platform/analytics.provider';
import { ANALYTICS, EVENT_STORE, TANDEM_CONFIG } from '../platform/tokens';

/**
 * Events per batch read from the store. Large, because a batch behind the head is written
 * without the rules (one insert per table); at the head batches are as small as the traffic.
 */
export const PROJECTOR_BATCH_SIZE = 10_000;

/**
 * Set-based catch-up (BulkLogProjection), while the projection is more than
 * `bulkCatchUp.minEvents` behind the head, `bulkCatchUp.sliceEvents` per slice (one checkpoint
 * each). Only with a PostgreSQL store and embedded ClickHouse, where ClickHouse reaches the
 * store the API reaches; otherwise (PGlite, KurrentDB, a ClickHouse server on another network,
 * TANDEM_BULK_CATCHUP=off) the projector catches up batch by batch.
 */
@Injectable()
export class EmbeddedProjector implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger('projector');
  private readonly projection: LogProjection;
  private subscription: Subscription | null = null;
  private lastError: string | null = null;
  private rejected = 0;
  private rebuilding: Promise<void> | null = null;
  private retryTimer: NodeJS.Timeout | null = null;
  private failures = 0;
  private stopped = false;
  /** Resolves once the log is followed (after bootstrap and any rules catch-up). */
  private following: Promise<void> = new Promise(() => undefined);

  private readonly bulk: BulkLogProjection | null;
  private readonly bulkMin: bigint;
  private readonly bulkSlice: bigint;

  constructor(
    @Inject(EVENT_STORE) private readonly store: EventStore,
    @Inject(ANALYTICS) private readonly analytics: AnalyticsHandle,
    @Inject(TANDEM_CONFIG) config: TandemConfig,
  ) {
    this.projection = new LogProjection(analytics.client, { database: analytics.database });
    const { eventStore } = config;
    this.bulkMin = BigInt(config.bulkCatchUp.minEvents);
    this.bulkSlice = BigInt(config.bulkCatchUp.sliceEvents);
    this.bulk =
      eventStore.kind === 'postgres' &&
      config.clickhouse.mode === 'embedded' &&
      config.bulkCatchUp.mode === 'auto'
        ? new BulkLogProjection(
            analytics.client,
            postgresLogSource(eventStore.url, eventStore.schema),
            (event) => decodeStoredEvent(event),
            { database: analytics.database },
          )
        : null;
  }

  async onApplicationBootstrap(): Promise<void> {
    await this.projection.start();
    this.following = this.resume();
    // /health shows the failure; the API keeps serving what is projected.
    this.following.catch((error: unknown) => this.fail(error));
  }

  /**
   * Empties the analytics tables and projects the whole log again (e.g. after a
   * projection fix). One rebuild at a time; the views fill up as it goes.
   */
  rebuild(): Promise<void> {
    this.rebuilding ??= (async () => {
      try {
        this.cancelRetry();
        await this.subscription?.stop();
        this.subscription = null;
        await resetAnalytics(this.analytics.client, { database: this.analytics.database });
        await this.projection.start();
        this.lastError = null;
        this.rejected = 0;
        this.logger.log('rebuild started from the beginning of the log');
        this.following = this.resume();
        this.following.catch((error: unknown) => this.fail(error));
      } finally {
        this.rebuilding = null;
      }
    })();
    return this.rebuilding;
  }

  /**
   * Catches up set-based while far behind, brings the rules level with the events (also after
   * a restart that found them behind), then follows the log batch by batch.
   */
  private async resume(): Promise<void> {
    await this.catchUpInBulk();
    const from = this.projection.position.events;
    if (this.projection.rulesBehind) {
      this.logger.log('rule-derived rows are behind the events: bringing them up to date');
      await this.projection.catchUpRules();
    }
    this.follow(from === null ? null : BigInt(from));
    // A retry that finds nothing left to project has recovered (no batch will say so).
    const head = await this.store.headPosition();
    if (this.failures > 0 && (head === null || (from !== null && BigInt(from) >= head))) {
      this.recovered();
    }
  }

  private recovered(): void {
    this.logger.log(`projection recovered after ${this.failures} failed attempt(s)`);
    this.failures = 0;
    this.lastError = null;
  }

  private async catchUpInBulk(): Promise<void> {
    if (this.bulk === null) return;
    for (;;) {
      const head = await this.store.headPosition();
      const done = BigInt(this.projection.position.events ?? '0');
      if (head === null || head - done <= this.bulkMin) return;
      const upTo = head - done > this.bulkSlice ? done + this.bulkSlice : head;
      const started = Date.now();
      const outcome = await this.bulk.project(done, upTo);
      for (const invalid of outcome.invalid) {
        this.rejected++;
        this.logger.error(`event ${invalid.eventId} not projected: ${invalid.reason}`);
      }
      // Every row of the slice is written: only now may the checkpoint cover it.
      await this.projection.advanceEvents(upTo.toString());
      this.logger.log(
        `caught up set-based to ${upTo} of ${head} (${outcome.staged} events in ${Date.now() - started} ms, ${outcome.fallback} decoded one by one)`,
      );
    }
  }

  private follow(after: bigint | null): void {
    this.subscription = this.store.subscribeToAll({
      after,
      batchSize: PROJECTOR_BATCH_SIZE,
      handle: (batch) => this.project(batch),
    });
    this.subscription.done.catch((error: unknown) => this.fail(error));
  }

  /**
   * A batch that failed is retried from the checkpoints, after 1 s, 2 s, 4 s … up to 30 s: the
   * checkpoints never cover what the failed batch did not finish, and writing it again is
   * harmless. Decoding failures never come here (they are counted and skipped).
   */
  private fail(error: unknown): void {
    this.lastError = error instanceof Error ? error.message : String(error);
    if (this.stopped) return;
    const delayMs = Math.min(30_000, 1_000 * 2 ** this.failures);
    this.failures += 1;
    this.logger.error(`projection failed (retrying in ${delayMs} ms): ${this.lastError}`);
    this.subscription = null;
    this.cancelRetry();
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null;
      this.following = this.projection.start().then(() => this.resume());
      this.following.catch((next: unknown) => this.fail(next));
    }, delayMs);
  }

  private cancelRetry(): void {
    if (this.retryTimer !== null) clearTimeout(this.retryTimer);
    this.retryTimer = null;
  }

  async onModuleDestroy(): Promise<void> {
    this.stopped = true;
    this.cancelRetry();
    await this.subscription?.stop();
  }

  /**
   * The position everything is projected up to, rules included: while the subscription is not
   * running yet (a rules catch-up after a restart), the rules checkpoint.
   */
  position(): bigint | null {
    if (this.subscription !== null) return this.subscription.position;
    const { rules } = this.projection.position;
    return rules === null ? null : BigInt(rules);
  }

  status() {
    return { failure: this.lastError, rejectedEvents: this.rejected };
  }

  /** Resolves once everything up to `position` is projected. */
  async waitFor(position: bigint, timeoutMs = 60_000): Promise<void> {
    await this.following;
    if (!this.subscription) throw new Error('projector not started');
    await this.subscription.waitFor(position, timeoutMs);
  }

  /**
   * Projects one batch, inside a span per traced event (none when tracing is off), each a
   * child of the append that recorded it: in embedded mode the command's trace ends here.
   */
  private async project(batch: readonly RecordedEvent[]): Promise<void> {
    const spans = batch.map((record) =>
      carriesTrace(record.metadata)
        ? startSpanFrom(record.metadata, 'project event', SpanKind.CONSUMER, {
            'tandem.event.type': record.type,
          })
        : null,
    );
    try {
      await this.projectBatch(batch);
    } catch (error) {
      for (const span of spans) if (span) endWithError(span, error);
      throw error;
    }
    for (const span of spans) span?.end();
  }

  private async projectBatch(batch: readonly RecordedEvent[]): Promise<void> {
    const envelopes: TandemEnvelope[] = [];
    for (const record of batch) {
      const decoded = decodeStoredEvent(record);
      if (decoded.ok) {
        envelopes.push(decoded.envelope);
      } else {
        // No dead-letter topic without Kafka: count and log, never block the log behind it.
        this.rejected++;
        this.logger.error(`event ${record.eventId} not projected: ${decoded.reason}`);
      }
    }
    // A batch smaller than asked for reached the head; only a full one needs the store's word.
    const last = batch.at(-1)?.globalPosition ?? null;
    const atHead =
      batch.length < PROJECTOR_BATCH_SIZE ||
      last === null ||
      last >= ((await this.store.headPosition()) ?? last);
    const outcome = await this.projection.project(envelopes, { atHead });
    if (this.failures > 0) this.recovered();
    for (const invalid of outcome.invalid) {
      this.rejected++;
      this.logger.error(`event ${invalid.eventId} not projected: ${invalid.reason}`);
    }
  }
}
