/**
 * Embedded mode's projector: follows the store's global log from the projection's checkpoint
 * and writes each batch into the analytics tables through LogProjection, which owns the
 * checkpoints (never ahead of what they cover) and defers the rules while it catches up.
 * Each batch goes through two steps with typed outcomes (StepOutcome): decode (a record that
 * is not a valid event → dead letter, with its reason) and write (a ClickHouse failure → retry
 * the same batch with back-off; every write is idempotent, so writing it again is harmless).
 * Dead letters land in projection_dead_letters before the checkpoint passes them.
 * It must never stop silently: a failure is kept and shown on /health until a batch succeeds,
 * and never skip: the checkpoint passes only events projected or dead-lettered.
 */
import { join } from 'node:path';
import { SpanKind } from '@opentelemetry/api';
import {
  Inject,
  Injectable,
  Logger,
  type OnApplicationBootstrap,
  type OnModuleDestroy,
} from '@nestjs/common';
import type { ClickHouseClient } from '@clickhouse/client';
import {
  backOffMs,
  BulkLogProjection,
  closeAnalyticsClient,
  createAnalyticsClient,
  csvFileLogSource,
  DeadLetterLedger,
  dlq,
  LogProjection,
  ok,
  postgresLogSource,
  readDeadLetterLedger,
  resetAnalytics,
  retryOnFailure,
  StepCancelledError,
  untilSettled,
  type DeadLetter,
  type DeadLetterSummary,
  type PostgresLogSource,
  type StagingLoader,
  type StepOutcome,
} from '@tandem/analytics';
import type { TandemConfig } from '@tandem/config';
import { decodeStoredEvent, type TandemEnvelope } from '@tandem/contracts';
import {
  supportsLogSliceExport,
  type EventStore,
  type RecordedEvent,
  type Subscription,
} from '@tandem/event-store';
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
 * each). Only with embedded ClickHouse and a store it can load slices from: PostgreSQL, which
 * ClickHouse reads itself, or PGlite, which exports each slice as CSV for it (LogSliceExport);
 * otherwise (KurrentDB, a ClickHouse server on another network, TANDEM_BULK_CATCHUP=off) the
 * projector catches up batch by batch. With PostgreSQL, each catch-up opens a second chDB
 * connection on the same directory for the slices' staging (BulkLogProjection reads the next
 * slice on it while projecting this one) and closes it when the catch-up ends.
 */
@Injectable()
export class EmbeddedProjector implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger('projector');
  private readonly projection: LogProjection;
  private subscription: Subscription | null = null;
  private lastError: string | null = null;
  /**
   * The dead letters as projection_dead_letters holds them up to the checkpoint, read on start
   * and kept up to date here: /health reads this, never ClickHouse (a catch-up keeps it busy).
   */
  private letters: DeadLetterLedger = new DeadLetterLedger();
  private rebuilding: Promise<void> | null = null;
  /** How many rebuilds have started: a wait one of them cut short goes on after it (waitFor). */
  private rebuilds = 0;
  private retryTimer: NodeJS.Timeout | null = null;
  private failures = 0;
  /** The views' snapshot is to be refreshed when the projection next reaches the head. */
  private snapshotDue = false;
  private stopped = false;
  /** True while a rebuild stops the subscription: a batch retrying its write gives up. */
  private interrupted = false;
  /**
   * Releases the suspension of the views' background builds a rebuild took (null when none):
   * called once the projection is back at the head, or on shutdown.
   */
  private releaseBuilds: (() => void) | null = null;
  /** Hands bootstrap's way to the head to a wait that began before it (see `following`). */
  private bootstrapped: (resumed: Promise<void>) => void = () => undefined;
  /**
   * Resolves once the log is followed (after bootstrap and any rules catch-up). Before
   * bootstrap it settles as bootstrap's catch-up does: another service's bootstrap (the rule
   * replays bringing the active set to ready) may wait for the head while this one still reads
   * its checkpoint, and a wait on a promise nothing settles timed out after 10 minutes.
   */
  private following: Promise<void> = new Promise<void>((resolve, reject) => {
    this.bootstrapped = (resumed) => void resumed.then(resolve, reject);
  });
  /**
   * The latest start, retry or rebuild's way to the head (set-based slices, the rules brought
   * level, the subscription begun), settled either way. A rebuild resets nothing and a shutdown
   * closes nothing before it settles: a slice or a rules chunk still being written would land
   * in the emptied tables, and its checkpoint after the reset.
   */
  private resuming: Promise<void> = Promise.resolve();

  private readonly bulk: {
    readonly source: PostgresLogSource | StagingLoader;
    /** Where a second connection for the staging opens: the embedded data directory (PostgreSQL). */
    readonly stagingPath: string | null;
  } | null;
  private readonly bulkMin: bigint;
  private readonly bulkSlice: bigint;

  constructor(
    @Inject(EVENT_STORE) private readonly store: EventStore,
    @Inject(ANALYTICS) private readonly analytics: AnalyticsHandle,
    @Inject(TANDEM_CONFIG) config: TandemConfig,
  ) {
    // Its failure is bootstrap's, reported by `fail`: a rejection nobody waited for is not one.
    this.following.catch(() => undefined);
    this.projection = new LogProjection(analytics.client, { database: analytics.database });
    const { eventStore } = config;
    this.bulkMin = BigInt(config.bulkCatchUp.minEvents);
    this.bulkSlice = BigInt(config.bulkCatchUp.sliceEvents);
    // PostgreSQL: ClickHouse reads the slice itself; PGlite: the store exports it as CSV.
    const source =
      eventStore.kind === 'postgres'
        ? postgresLogSource(eventStore.url, eventStore.schema)
        : supportsLogSliceExport(store)
          ? csvFileLogSource(
              (after, upTo) => store.logSlices.csv(after, upTo),
              join(config.dataDir, 'log-slices'),
            )
          : null;
    this.bulk =
      source !== null && config.clickhouse.mode === 'embedded' && config.bulkCatchUp.mode === 'auto'
        ? {
            source,
            // PGlite's CSV source reads ahead itself; only PostgreSQL's staging needs the connection.
            stagingPath: eventStore.kind === 'postgres' ? config.clickhouse.path : null,
          }
        : null;
  }

  async onApplicationBootstrap(): Promise<void> {
    // Set aside before a restart still counts: readiness stays failed until a rebuild. Read
    // here, before the catch-up begins, so no answer of /health waits for ClickHouse.
    this.letters = await this.startAndReadLetters();
    const resumed = this.resume();
    this.bootstrapped(resumed);
    this.following = resumed;
    // /health shows the failure; the API keeps serving what is projected.
    this.following.catch((error: unknown) => this.fail(error));
  }

  /**
   * Empties the analytics tables and projects the whole log again (e.g. after a
   * projection fix). One rebuild at a time; the views fill up as it goes.
   */
  rebuild(): Promise<void> {
    this.rebuilding ??= (async () => {
      this.rebuilds += 1;
      try {
        this.cancelRetry();
        this.interrupted = true;
        // The views' background builds (a snapshot being written, what is kept per snapshot)
        // stop at their next statement instead of finishing work the reset throws away, and
        // none starts until the projection is at the head again: never beside the reset (a
        // snapshot spanning it would copy emptied tables), nor during the catch-up.
        const [release] = await Promise.all([
          this.analytics.queries.suspendBackgroundBuilds('a rebuild empties the analytics'),
          this.subscription?.stop(),
          // A catch-up in flight stops after its slice or rules chunk (resume checks
          // `interrupted`): nothing of it may be written, nor its checkpoint, after the reset.
          this.resuming,
        ]);
        this.releaseBuilds?.();
        this.releaseBuilds = release;
        this.interrupted = false;
        this.subscription = null;
        try {
          await resetAnalytics(this.analytics.client, { database: this.analytics.database });
          await this.projection.start();
        } catch (error) {
          // The reset may have emptied projection_dead_letters before it failed: /health says
          // what the table holds now, not what it held before the rebuild.
          await this.recountDeadLetters();
          throw error;
        }
        this.lastError = null;
        this.letters = new DeadLetterLedger();
        this.logger.log('rebuild started from the beginning of the log');
        this.startResuming(() => this.resume());
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
      await this.projection.catchUpRules(() => this.halting());
    }
    // A rebuild or a shutdown that came during the catch-up: no subscription for it to miss.
    if (this.halting()) throw new StepCancelledError(null);
    this.snapshotDue = true;
    this.follow(from === null ? null : BigInt(from));
    const head = await this.store.headPosition();
    const atHead = head === null || (from !== null && BigInt(from) >= head);
    if (atHead) this.reachedHead();
    // A retry that finds nothing left to project has recovered (no batch will say so).
    if (this.failures > 0 && atHead) this.recovered();
  }

  /**
   * The projection is at the head: every event up to it is written, rules included. A rebuild's
   * suspension of the views' background builds ends here, not before the rest of the log is
   * followed batch by batch (all of it when the rebuild did not catch up set-based): a snapshot
   * taken during that catch-up would copy a state about to change entirely and leave views
   * reading most leads from the state anyway, and its kept builds would compete with the
   * catch-up for chDB. Then the snapshot of the rebuilt state is started.
   */
  private reachedHead(): void {
    // The last batch of a subscription a rebuild or a shutdown is stopping: they release.
    if (this.halting()) return;
    this.releaseBuilds?.();
    this.releaseBuilds = null;
    this.refreshSnapshot();
  }

  /**
   * Once the projection reaches the head after a start, a rebuild or a catch-up: the views'
   * snapshot of the active set is started then (in the background, if it has none or too many
   * leads changed since), not on the first view request, which would wait behind it.
   */
  private refreshSnapshot(): void {
    if (!this.snapshotDue) return;
    this.snapshotDue = false;
    this.analytics.queries.refreshSnapshotInBackground().catch((error: unknown) => {
      this.logger.warn(`could not start a snapshot of the views: ${String(error)}`);
    });
  }

  /**
   * Starts the way to the head (`resume`, or a retry's start then resume) as the one a rebuild
   * or a shutdown waits for; its failure goes to `fail`, which ignores a cancellation.
   */
  private startResuming(run: () => Promise<void>): void {
    this.following = run();
    this.following.catch((error: unknown) => this.fail(error));
    this.resuming = this.following.catch(() => undefined);
  }

  /** A shutdown or a rebuild is under way: a catch-up leaves at its next step. */
  private halting(): boolean {
    return this.stopped || this.interrupted;
  }

  private recovered(): void {
    this.logger.log(`projection recovered after ${this.failures} failed attempt(s)`);
    this.failures = 0;
    this.lastError = null;
  }

  private async catchUpInBulk(): Promise<void> {
    if (this.bulk === null) return;
    let head = await this.store.headPosition();
    if (head === null || !this.farBehind(head)) return;
    const staging =
      this.bulk.stagingPath === null
        ? null
        : await createAnalyticsClient({ mode: 'embedded', path: this.bulk.stagingPath });
    const bulk = openBulk(this.analytics, this.bulk.source, staging);
    try {
      while (head !== null && this.farBehind(head)) {
        await this.catchUpSlice(bulk, head);
        head = await this.store.headPosition();
      }
    } finally {
      // No staging statement outlives the catch-up's connection.
      await bulk.settle();
      if (staging !== null) await closeAnalyticsClient(staging);
    }
  }

  /** More than `bulkMin` events between the events checkpoint and `head`. */
  private farBehind(head: bigint): boolean {
    const done = BigInt(this.projection.position.events ?? '0');
    return head - done > this.bulkMin;
  }

  /** Projects the next slice towards `head` set-based, then moves the checkpoint over it. */
  private async catchUpSlice(bulk: BulkLogProjection, head: bigint): Promise<void> {
    if (this.halting()) throw new StepCancelledError(null);
    const done = BigInt(this.projection.position.events ?? '0');
    const upTo = head - done > this.bulkSlice ? done + this.bulkSlice : head;
    // The slice after this one, if the loop will take it set-based too (as computed next turn
    // with the same head): the source may read it ahead.
    const next =
      head - upTo > this.bulkMin
        ? { after: upTo, upTo: head - upTo > this.bulkSlice ? upTo + this.bulkSlice : head }
        : undefined;
    const started = Date.now();
    const outcome = await bulk.project(done, upTo, next);
    // A slice written across a rebuild's request is left uncovered: the reset empties it.
    if (this.halting()) throw new StepCancelledError(null);
    // Every row of the slice is written and its refused events set aside: only now may the
    // checkpoint cover it.
    await this.projection.advanceEvents(upTo.toString(), outcome.invalid);
    this.setAside(outcome.invalid);
    this.logger.log(
      `caught up set-based to ${upTo} of ${head} (${outcome.staged} events in ${Date.now() - started} ms, ${outcome.fallback} decoded one by one)`,
    );
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
    // A batch that gave up its retries because of a rebuild or a shutdown: nothing failed.
    if (error instanceof StepCancelledError) return;
    this.lastError = error instanceof Error ? error.message : String(error);
    if (this.stopped) return;
    this.failures += 1;
    const delayMs = backOffMs(this.failures);
    this.logger.error(`projection failed (retrying in ${delayMs} ms): ${this.lastError}`);
    this.subscription = null;
    this.cancelRetry();
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null;
      this.startResuming(() => this.projection.start().then(() => this.resume()));
    }, delayMs);
  }

  private cancelRetry(): void {
    if (this.retryTimer !== null) clearTimeout(this.retryTimer);
    this.retryTimer = null;
  }

  async onModuleDestroy(): Promise<void> {
    this.stopped = true;
    this.cancelRetry();
    // A catch-up in flight leaves after its slice or rules chunk, before analytics close.
    await Promise.all([this.subscription?.stop(), this.resuming]);
    this.releaseBuilds?.();
    this.releaseBuilds = null;
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
    return { failure: this.lastError, rejectedEvents: this.letters.summary().count };
  }

  /**
   * The events set aside (projection_dead_letters) up to the checkpoint: how many, and the
   * latest with reasons. From memory: it never waits for ClickHouse.
   */
  deadLetters(): DeadLetterSummary {
    return this.letters.summary();
  }

  /**
   * Resolves once everything up to `position` is projected, within `timeoutMs`. A rebuild under
   * way, or one that starts meanwhile, projects the log again from the beginning: the wait goes
   * on over the projection it starts. Between its reset and its next follow there is no
   * subscription, and it stops the one waited on: a replay asked for then failed ("projector
   * not started") although the projection was only starting over.
   */
  async waitFor(position: bigint, timeoutMs = 60_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const rebuilds = this.rebuilds;
      try {
        await beforeDeadline(
          (async () => {
            await this.rebuilding;
            await this.following;
          })(),
          deadline,
        );
        if (!this.subscription) throw new Error('projector not started');
        await this.subscription.waitFor(position, Math.max(1, deadline - Date.now()));
        return;
      } catch (error) {
        if (this.rebuilds === rebuilds || Date.now() >= deadline) throw error;
      }
    }
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
    const refused: DeadLetter[] = [];
    for (const record of batch) {
      const decoded = decodeStep(record);
      if (decoded.kind === 'ok') envelopes.push(decoded.value);
      else if (decoded.kind === 'dlq')
        refused.push({
          eventId: record.eventId,
          position: record.globalPosition.toString(),
          type: record.type,
          reason: decoded.reason,
        });
    }
    // A batch smaller than asked for reached the head; only a full one needs the store's word.
    const last = batch.at(-1)?.globalPosition ?? null;
    const atHead =
      batch.length < PROJECTOR_BATCH_SIZE ||
      last === null ||
      last >= ((await this.store.headPosition()) ?? last);
    // The same batch again until ClickHouse takes it: the subscription (and so the checkpoint)
    // waits here, and /health shows why.
    const written = await untilSettled(
      (attempt) =>
        retryOnFailure(attempt, () => this.projection.project(envelopes, { atHead, refused })),
      {
        cancelled: () => this.halting(),
        sleep: (ms) => this.pause(ms),
        onRetry: ({ reason, attempt, delayMs }) => {
          this.lastError = reason;
          this.failures = attempt;
          this.logger.error(`projection failed (retrying in ${delayMs} ms): ${reason}`);
        },
      },
    );
    // A write's outcome is ok or retry; retries are settled above.
    if (written.kind !== 'ok') throw new Error(`batch not written: ${written.reason}`);
    if (this.failures > 0) this.recovered();
    this.setAside(written.value.deadLettered);
    // Per batch, for an operator chasing append → visible (TANDEM_LOG_LEVEL=debug): at the head
    // a batch's time is most of it, and its phases say which statement grew.
    const { eventsMs, rulesMs, checkpointMs } = written.value.phases;
    this.logger.debug(
      `batch of ${batch.length} events (${written.value.leadIds.length} leads, ${atHead ? 'at the head' : 'catching up'}): events ${Math.round(eventsMs)} ms, rules ${Math.round(rulesMs)} ms, checkpoints ${Math.round(checkpointMs)} ms`,
    );
    if (atHead) this.reachedHead();
  }

  /** The projection started from its checkpoints, and the dead letters the table holds. */
  private async startAndReadLetters(): Promise<DeadLetterLedger> {
    const after = await this.projection.start();
    return readDeadLetterLedger(this.analytics.client, after, {
      database: this.analytics.database,
    });
  }

  /** The ledger read again from the table; kept as it was when ClickHouse cannot say. */
  private async recountDeadLetters(): Promise<void> {
    try {
      this.letters = await this.startAndReadLetters();
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      this.logger.warn(`dead letters not recounted after a failed rebuild: ${message}`);
    }
  }

  private setAside(letters: readonly DeadLetter[]): void {
    this.letters.add(letters);
    for (const letter of letters) {
      this.logger.error(
        `event ${letter.eventId} at ${letter.position} set aside (projection_dead_letters): ${letter.reason}`,
      );
    }
  }

  /** A back-off that a shutdown or a rebuild cuts short (they cancel the retry loop). */
  private async pause(ms: number): Promise<void> {
    const until = Date.now() + ms;
    while (!this.halting() && Date.now() < until) {
      await new Promise((resolve) => setTimeout(resolve, Math.min(200, until - Date.now())));
    }
  }
}

/** Settles as `work` does, or rejects once `deadline` (epoch ms) passes. */
async function beforeDeadline(work: Promise<void>, deadline: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error('timed out waiting for the projection')),
      Math.max(0, deadline - Date.now()),
    );
    // A deadline alone must not keep the process up: a wait a shutdown left pending (the
    // rebuild it waited on stopped with the app) held it for up to a replay's 10 minutes.
    timer.unref();
  });
  try {
    await Promise.race([work, late]);
  } finally {
    clearTimeout(timer);
  }
}

/** Step one: a stored record → a valid envelope, or a dead letter; it will never decode later. */
function decodeStep(record: RecordedEvent): StepOutcome<TandemEnvelope> {
  const decoded = decodeStoredEvent(record);
  return decoded.ok ? ok(decoded.envelope) : dlq(decoded.reason);
}

function openBulk(
  analytics: AnalyticsHandle,
  source: PostgresLogSource | StagingLoader,
  staging: ClickHouseClient | null,
): BulkLogProjection {
  return new BulkLogProjection(analytics.client, source, (event) => decodeStoredEvent(event), {
    database: analytics.database,
    ...(staging === null ? {} : { stagingClient: staging }),
  });
}
