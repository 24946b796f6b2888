/**
 * A catch-up subscription over a global log that can only be read by position: it
 * reads batches strictly after what the handler confirmed, hands them over in order,
 * and sleeps until woken (a notification) or until the poll interval passes, so a
 * lost notification costs latency, never events.
 * It must never hand over a batch before the handler's promise for the previous one settled
 * (it reads at most one batch ahead while catching up), never advance past what the handler
 * confirmed, and never leave a timer behind once done.
 */
import type { RecordedEvent, SubscribeOptions, Subscription } from './event-store.port';

export interface PolledLog {
  /** Events strictly after `after` (`null`: from the start), ascending, at most `maxCount`. */
  readAfter(after: bigint | null, maxCount: number): Promise<readonly RecordedEvent[]>;
  /** Calls `wake` whenever new events may have become visible; returns the unregister function. */
  watch(wake: () => void): () => void;
}

export interface CatchUpOptions extends SubscribeOptions {
  readonly pollIntervalMs: number;
}

export const DEFAULT_BATCH_SIZE = 500;
export const DEFAULT_WAIT_FOR_TIMEOUT_MS = 30_000;

export function startCatchUpSubscription(log: PolledLog, options: CatchUpOptions): Subscription {
  return new CatchUpSubscription(log, options);
}

interface Waiter {
  readonly position: bigint;
  readonly resolve: () => void;
  readonly reject: (error: Error) => void;
  readonly timer: NodeJS.Timeout;
}

class CatchUpSubscription implements Subscription {
  readonly done: Promise<void>;
  private current: bigint | null;
  private stopRequested = false;
  /** Set once the loop has ended: `error` is undefined after a clean stop. */
  private outcome: { readonly error: unknown } | null = null;
  private readonly waiters = new Set<Waiter>();
  private readonly wakeup = new Wakeup();
  private readonly batchSize: number;

  constructor(
    private readonly log: PolledLog,
    private readonly options: CatchUpOptions,
  ) {
    this.batchSize = options.batchSize ?? DEFAULT_BATCH_SIZE;
    if (!Number.isInteger(this.batchSize) || this.batchSize < 1) {
      throw new RangeError(`batchSize must be a positive integer, got ${this.batchSize}`);
    }
    this.current = options.after ?? null;
    this.done = this.run();
    // Callers that only use stop()/waitFor() must not crash the process with an
    // unhandled rejection; anyone awaiting `done` still sees the error.
    this.done.catch(() => undefined);
  }

  get position(): bigint | null {
    return this.current;
  }

  waitFor(position: bigint, timeoutMs = DEFAULT_WAIT_FOR_TIMEOUT_MS): Promise<void> {
    if (this.hasReached(position)) return Promise.resolve();
    if (this.outcome !== null) return Promise.reject(this.endedBefore(position));
    return new Promise<void>((resolve, reject) => {
      const waiter: Waiter = {
        position,
        resolve,
        reject,
        timer: setTimeout(() => {
          this.waiters.delete(waiter);
          reject(
            new Error(
              `subscription did not reach position ${position.toString()} within ${timeoutMs} ms ` +
                `(it is at ${String(this.current)})`,
            ),
          );
        }, timeoutMs),
      };
      this.waiters.add(waiter);
    });
  }

  async stop(): Promise<void> {
    this.stopRequested = true;
    this.wakeup.signal();
    await this.done.catch(() => undefined);
  }

  private async run(): Promise<void> {
    const unwatch = this.log.watch(() => this.wakeup.signal());
    try {
      let ahead: Promise<readonly RecordedEvent[]> | null = null;
      while (!this.stopRequested) {
        const batch = await (ahead ?? this.log.readAfter(this.current, this.batchSize));
        ahead = null;
        if (this.stopRequested) break;
        const last = batch[batch.length - 1];
        if (last === undefined) {
          await this.wakeup.wait(this.options.pollIntervalMs);
          continue;
        }
        // A full batch means more is waiting (a catch-up): read the next one while the
        // handler works, so the reader and the handler overlap. Only one batch ahead, and
        // the position still advances only when the handler settles.
        if (batch.length === this.batchSize) {
          ahead = this.log.readAfter(last.globalPosition, this.batchSize);
          ahead.catch(() => undefined); // seen when awaited; never unhandled
        }
        await this.options.handle(batch);
        this.current = last.globalPosition;
        this.settleWaiters();
      }
      this.end(undefined);
    } catch (error) {
      this.end(error);
      throw error;
    } finally {
      unwatch();
      this.wakeup.cancel();
    }
  }

  private hasReached(position: bigint): boolean {
    return this.current !== null && this.current >= position;
  }

  private settleWaiters(): void {
    for (const waiter of this.waiters) {
      if (this.hasReached(waiter.position)) {
        clearTimeout(waiter.timer);
        this.waiters.delete(waiter);
        waiter.resolve();
      }
    }
  }

  private end(error: unknown): void {
    this.outcome = { error };
    for (const waiter of this.waiters) {
      clearTimeout(waiter.timer);
      waiter.reject(this.endedBefore(waiter.position));
    }
    this.waiters.clear();
  }

  private endedBefore(position: bigint): Error {
    const error = this.outcome?.error;
    if (error instanceof Error) return error;
    if (error !== undefined) return new Error('subscription failed', { cause: error });
    return new Error(
      `subscription stopped at ${String(this.current)} before reaching ${position.toString()}`,
    );
  }
}

/**
 * A one-slot alarm: a signal that arrives while nobody waits is remembered, so the
 * next wait returns at once. That closes the race between "read found nothing" and
 * "a notification arrived during the read".
 */
class Wakeup {
  private pending = false;
  private release: (() => void) | null = null;

  signal(): void {
    this.pending = true;
    this.release?.();
  }

  async wait(timeoutMs: number): Promise<void> {
    if (!this.pending) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(finish, timeoutMs);
        function finish(): void {
          clearTimeout(timer);
          resolve();
        }
        this.release = finish;
      });
      this.release = null;
    }
    this.pending = false;
  }

  cancel(): void {
    this.release?.();
  }
}

/**
 * The subscriptions an adapter has open, so that closing the adapter stops every
 * one of them before its connections go away. Shared by all adapters.
 */
export class OpenSubscriptions {
  private readonly open = new Set<Subscription>();

  /**
   * Follows an adapter's global log: `readAll` reads after a position, `appends`
   * wakes the subscription when the adapter sees new events (and is asked to listen
   * before each read, so a subscription never waits on a listener that is not there).
   */
  follow(
    readAll: (after: bigint | null, maxCount: number) => Promise<readonly RecordedEvent[]>,
    appends: { ensureListening(): void; watch(wake: () => void): () => void },
    options: CatchUpOptions,
  ): Subscription {
    const subscription = startCatchUpSubscription(
      {
        readAfter: (after, maxCount) => {
          appends.ensureListening();
          return readAll(after, maxCount);
        },
        watch: (wake) => appends.watch(wake),
      },
      options,
    );
    this.open.add(subscription);
    const forget = (): void => {
      this.open.delete(subscription);
    };
    void subscription.done.then(forget, forget);
    return subscription;
  }

  async stopAll(): Promise<void> {
    await Promise.all([...this.open].map((subscription) => subscription.stop()));
  }
}
