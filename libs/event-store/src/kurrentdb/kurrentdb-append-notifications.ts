/**
 * Wakes the store's catch-up subscriptions when something is appended: one live
 * `subscribeToAll` from the end of $all (same filter as the reads) shared by all of
 * them, whose events are only used as a signal. The events themselves are always
 * read with `readAll`, so batching, ordering and back-pressure stay in one place
 * (`catch-up-subscription.ts`). Subscriptions also poll, so a lost or broken live
 * subscription costs latency, never events; it is re-opened on a later read.
 * It must never throw into a subscription, and never leave a gRPC stream open after close().
 */
import { END, type AllStreamSubscription } from '@kurrent/kurrentdb-client';
import type { KurrentDbClient } from './kurrentdb-client';
import { deliverableEventsFilter } from './kurrentdb-filters';

/** How soon to try again after the live subscription failed or ended. */
const RESUBSCRIBE_AFTER_MS = 2_000;

export class KurrentDbAppendNotifications {
  private readonly wakers = new Set<() => void>();
  private live: AllStreamSubscription | null = null;
  private lastAttemptAt = Number.NEGATIVE_INFINITY;
  private closed = false;

  constructor(private readonly client: KurrentDbClient) {}

  /** Registers a wake-up; returns the function that removes it. */
  watch(wake: () => void): () => void {
    this.wakers.add(wake);
    this.ensureListening();
    return () => {
      this.wakers.delete(wake);
      if (this.wakers.size === 0) this.stopListening();
    };
  }

  /** Cheap when already listening; subscriptions call it before each read to heal a lost stream. */
  ensureListening(): void {
    if (this.closed || this.live !== null || this.wakers.size === 0) return;
    const now = Date.now();
    if (now - this.lastAttemptAt < RESUBSCRIBE_AFTER_MS) return;
    this.lastAttemptAt = now;
    let live: AllStreamSubscription;
    try {
      live = this.client.subscribeToAll({ fromPosition: END, filter: deliverableEventsFilter() });
    } catch {
      return; // polling carries on; the next read tries again
    }
    const lost = (): void => {
      if (this.live !== live) return;
      this.live = null;
      cancel(live);
      // Appends during the gap sent no signal we could hear.
      this.wakeAll();
    };
    live.on('data', () => this.wakeAll());
    live.on('error', lost);
    live.on('end', lost);
    live.on('close', lost);
    this.live = live;
    // Appends before the subscription took effect sent no signal either.
    live.once('confirmation', () => this.wakeAll());
  }

  close(): void {
    this.closed = true;
    this.stopListening();
    this.wakers.clear();
  }

  private stopListening(): void {
    const live = this.live;
    this.live = null;
    // A deliberate stop is not a failure: the next subscriber may listen at once.
    this.lastAttemptAt = Number.NEGATIVE_INFINITY;
    if (live !== null) cancel(live);
  }

  private wakeAll(): void {
    for (const wake of this.wakers) wake();
  }
}

function cancel(live: AllStreamSubscription): void {
  // unsubscribe() cancels the gRPC call; a failure there leaves nothing to clean up.
  live.unsubscribe().catch(() => undefined);
}
