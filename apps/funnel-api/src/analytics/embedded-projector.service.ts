/**
 * Embedded mode's projector: follows the store's global log from where ClickHouse
 * says it stopped and writes each batch into the analytics tables. Redelivery is
 * harmless (lead_events is idempotent on event id), so the position is simply
 * what ClickHouse holds — no second checkpoint to keep in step.
 * It must never stop silently: a failure is kept and shown on /health.
 */
import {
  Inject,
  Injectable,
  Logger,
  type OnApplicationBootstrap,
  type OnModuleDestroy,
} from '@nestjs/common';
import { projectBatch, projectionPosition, resetAnalytics } from '@tandem/analytics';
import { decodeStoredEvent, type TandemEnvelope } from '@tandem/contracts';
import type { EventStore, RecordedEvent, Subscription } from '@tandem/event-store';
import type { AnalyticsHandle } from '../platform/analytics.provider';
import { ANALYTICS, EVENT_STORE } from '../platform/tokens';

@Injectable()
export class EmbeddedProjector implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger('projector');
  private subscription: Subscription | null = null;
  private lastError: string | null = null;
  private rejected = 0;

  constructor(
    @Inject(EVENT_STORE) private readonly store: EventStore,
    @Inject(ANALYTICS) private readonly analytics: AnalyticsHandle,
  ) {}

  private rebuilding: Promise<void> | null = null;
  private markStarted: () => void = () => undefined;
  /** Resolves once the projector follows the log (after application bootstrap). */
  private readonly started = new Promise<void>((resolve) => (this.markStarted = resolve));

  async onApplicationBootstrap(): Promise<void> {
    const from = await projectionPosition(this.analytics.client, {
      database: this.analytics.database,
    });
    this.follow(from === null ? null : BigInt(from));
    this.markStarted();
  }

  /**
   * Empties the analytics tables and projects the whole log again (e.g. after a
   * projection fix). One rebuild at a time; the views fill up as it goes.
   */
  rebuild(): Promise<void> {
    this.rebuilding ??= (async () => {
      try {
        await this.subscription?.stop();
        await resetAnalytics(this.analytics.client, { database: this.analytics.database });
        this.lastError = null;
        this.rejected = 0;
        this.follow(null);
        this.logger.log('rebuild started from the beginning of the log');
      } finally {
        this.rebuilding = null;
      }
    })();
    return this.rebuilding;
  }

  private follow(after: bigint | null): void {
    this.subscription = this.store.subscribeToAll({
      after,
      batchSize: 1000,
      handle: (batch) => this.project(batch),
    });
    this.subscription.done.catch((error: unknown) => {
      this.lastError = error instanceof Error ? error.message : String(error);
      this.logger.error(`projection stopped: ${this.lastError}`);
    });
  }

  async onModuleDestroy(): Promise<void> {
    await this.subscription?.stop();
  }

  position(): bigint | null {
    return this.subscription?.position ?? null;
  }

  status() {
    return { failure: this.lastError, rejectedEvents: this.rejected };
  }

  /** Resolves once everything up to `position` is projected. */
  async waitFor(position: bigint, timeoutMs = 60_000): Promise<void> {
    await this.started;
    if (!this.subscription) throw new Error('projector not started');
    await this.subscription.waitFor(position, timeoutMs);
  }

  private async project(batch: readonly RecordedEvent[]): Promise<void> {
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
    const outcome = await projectBatch(this.analytics.client, envelopes, {
      database: this.analytics.database,
    });
    for (const invalid of outcome.invalid) {
      this.rejected++;
      this.logger.error(`event ${invalid.eventId} not projected: ${invalid.reason}`);
    }
  }
}
