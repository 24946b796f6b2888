/**
 * Notifier adapter that keeps everything in memory: what was offered and what
 * was delivered. For tests and for embedding sla-watch where the host decides
 * what to do with notifications. Its memory of keys outlives a runner (pass the
 * same instance to the next one), which is how a durable adapter behaves across
 * restarts. It must never be used where notifications have to survive a crash.
 */
import type { Notifier } from './notifier.port';
import type { Notification } from './sla-watch.state';

export interface MemoryNotifier extends Notifier {
  /** Every notification offered, repeats included. */
  readonly offered: readonly Notification[];
  /** Notifications delivered: one per key. */
  readonly delivered: readonly Notification[];
}

export function createMemoryNotifier(): MemoryNotifier {
  const offered: Notification[] = [];
  const delivered = new Map<string, Notification>();
  return {
    offered,
    get delivered() {
      return [...delivered.values()];
    },
    notify(notification) {
      offered.push(notification);
      if (delivered.has(notification.key)) return Promise.resolve('duplicate');
      delivered.set(notification.key, notification);
      return Promise.resolve('sent');
    },
  };
}
