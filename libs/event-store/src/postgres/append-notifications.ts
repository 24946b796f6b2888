/**
 * Shares one LISTEN on the store's channel among all its subscriptions and brings it
 * back after it is lost. Subscriptions poll regardless, so this only buys latency:
 * a missing or broken listener must make them slower, never wrong.
 * It must never throw into a subscription, and never keep a connection open after close().
 */
import type { SqlExecutor } from './sql-executor';

/** How soon to try LISTEN again after it failed or was lost. */
const RELISTEN_AFTER_MS = 2_000;

type Unlisten = () => Promise<void>;

export class AppendNotifications {
  private readonly wakers = new Set<() => void>();
  /** The current LISTEN (established or being established); `null` when there is none. */
  private listening: Promise<Unlisten | null> | null = null;
  private lastAttemptAt = Number.NEGATIVE_INFINITY;
  private closed = false;
  private readonly pendingCleanups = new Set<Promise<void>>();

  constructor(
    private readonly executor: SqlExecutor,
    private readonly channel: string,
  ) {}

  /** Registers a wake-up; returns the function that removes it. */
  watch(wake: () => void): () => void {
    this.wakers.add(wake);
    this.ensureListening();
    return () => {
      this.wakers.delete(wake);
    };
  }

  /** Cheap when already listening; subscriptions call it before each read to heal a lost LISTEN. */
  ensureListening(): void {
    if (this.closed || this.listening !== null || this.wakers.size === 0) return;
    const now = Date.now();
    if (now - this.lastAttemptAt < RELISTEN_AFTER_MS) return;
    this.lastAttemptAt = now;
    const attempt: Promise<Unlisten | null> = this.executor
      .listen(
        this.channel,
        () => this.wakeAll(),
        () => this.lost(attempt),
      )
      .then(
        (unlisten) => {
          // Appends committed before LISTEN took effect sent no notification we could hear.
          this.wakeAll();
          return unlisten;
        },
        () => {
          if (this.listening === attempt) this.listening = null;
          return null;
        },
      );
    this.listening = attempt;
  }

  async close(): Promise<void> {
    this.closed = true;
    const current = this.listening;
    this.listening = null;
    if (current !== null) await stopListening(current);
    await Promise.all(this.pendingCleanups);
  }

  private lost(attempt: Promise<Unlisten | null>): void {
    if (this.listening !== attempt) return;
    this.listening = null;
    const cleanup = stopListening(attempt);
    this.pendingCleanups.add(cleanup);
    void cleanup.then(() => this.pendingCleanups.delete(cleanup));
    // Notifications sent while the connection was dying are gone: make everyone re-read.
    this.wakeAll();
  }

  private wakeAll(): void {
    for (const wake of this.wakers) wake();
  }
}

async function stopListening(listening: Promise<Unlisten | null>): Promise<void> {
  const unlisten = await listening;
  await unlisten?.().catch(() => undefined);
}
