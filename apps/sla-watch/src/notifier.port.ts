/**
 * The port through which sla-watch tells people things. Adapters decide the
 * channel (stdout here; email or Slack in a real deployment) and must be
 * idempotent by `notification.key`: the runner replays the topic on every start
 * and will offer the same notification again, so the adapter's memory of keys
 * (or the channel's own idempotency key) is what keeps owners from being paged
 * twice. An adapter must never swallow a failed delivery: it throws, and the
 * runner retries.
 */
import type { Notification } from './sla-watch.state';

export type NotifyOutcome = 'sent' | 'duplicate';

export interface Notifier {
  notify(notification: Notification): Promise<NotifyOutcome>;
}
