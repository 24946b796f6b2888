/**
 * Runs sla-watch against the lead-event topic: consumes it from the beginning
 * through the contracts' subscribe helper (on whichever client the LeadEventSource wraps), folds every event into the state
 * (sending the hand-off notice on the way), and every `tickMs` escalates what
 * `due(state, now)` returns.
 *
 * Durable without a database of its own: the state is rebuilt from the log on
 * every start (a fresh consumer group per start, so it always reads from the
 * first offset), and notifications are idempotent by key, so a replay offers
 * them again and the notifier drops repeats. There is no timer per lead, only
 * one clock that asks the fold.
 *
 * It must never escalate from a state that is behind the log: a lead accepted in
 * time but not yet consumed would look late. Each check therefore takes the
 * topic's end offsets at `now` and waits until this group has consumed up to
 * them before asking `due(state, now)`.
 */
import { LEAD_EVENTS_TOPIC } from '@tandem/contracts';
import type { LeadEventSource } from './lead-events.source';
import type { Notifier } from './notifier.port';
import {
  due,
  evolveSlaWatch,
  handOffNotice,
  initialSlaWatch,
  type Notification,
  type SlaWatch,
} from './sla-watch.state';

export interface SlaWatchOptions {
  /** The Kafka client's adapter; the runner leaves it open when it stops. */
  readonly source: LeadEventSource;
  /** Must be new for every start: the group has to begin at the first offset. */
  readonly groupId: string;
  readonly topic?: string;
  readonly notifier: Notifier;
  readonly tickMs: number;
  readonly clock?: () => number;
  readonly log?: (message: string, fields?: Record<string, unknown>) => void;
}

export interface SlaWatchStatus {
  readonly handled: number;
  readonly pending: number;
  /** Completed escalation checks (each on a state caught up with the log). */
  readonly checks: number;
}

export interface SlaWatchRunner {
  status(): SlaWatchStatus;
  stop(): Promise<void>;
}

interface Barrier {
  readonly at: number;
  readonly ends: ReadonlyMap<number, bigint>;
}

export async function startSlaWatch(options: SlaWatchOptions): Promise<SlaWatchRunner> {
  const topic = options.topic ?? LEAD_EVENTS_TOPIC;
  const clock = options.clock ?? Date.now;
  const log = options.log ?? (() => undefined);
  let state: SlaWatch = initialSlaWatch();
  let handled = 0;
  let checks = 0;
  // Escalations delivered by this process and still due: not offered again every tick.
  let escalated = new Set<string>();
  let barrier: Barrier | null = null;

  async function deliver(notification: Notification): Promise<boolean> {
    try {
      const outcome = await options.notifier.notify(notification);
      log('notification', { kind: notification.kind, key: notification.key, outcome });
      return true;
    } catch (error) {
      log('notification failed', { key: notification.key, error: String(error) });
      return false;
    }
  }

  const { source } = options;

  async function consumedUpTo(ends: ReadonlyMap<number, bigint>): Promise<boolean> {
    const next = await source.committed(options.groupId, topic);
    return [...ends].every(([partition, end]) => (next.get(partition) ?? -1n) >= end);
  }

  async function check(): Promise<void> {
    barrier ??= { at: clock(), ends: await source.topicEnds(topic) };
    if (!(await consumedUpTo(barrier.ends))) return;
    const escalations = due(state, barrier.at);
    barrier = null;
    const stillDue = new Set<string>();
    for (const escalation of escalations) {
      if (escalated.has(escalation.key) || (await deliver(escalation)))
        stillDue.add(escalation.key);
    }
    escalated = stillDue;
    checks++;
  }

  const subscription = await source.subscribe({
    groupId: options.groupId,
    topic,
    handle: async (envelope) => {
      const notice = handOffNotice(envelope);
      if (notice && !(await deliver(notice))) return 'retry';
      state = evolveSlaWatch(state, envelope);
      handled++;
      return 'ok';
    },
    onDeadLetter: (letter) => log('dead letter', { ...letter }),
    onCrash: (error) => log('consumer crashed', { error: error.message }),
  });

  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let checking = Promise.resolve();
  const schedule = () => {
    timer = setTimeout(() => {
      checking = check()
        .catch((error: unknown) => log('check failed', { error: String(error) }))
        .finally(() => {
          if (!stopped) schedule();
        });
    }, options.tickMs);
  };
  schedule();

  return {
    status: () => ({ handled, pending: state.pending.size, checks }),
    async stop() {
      stopped = true;
      clearTimeout(timer);
      await checking;
      await subscription.stop();
    },
  };
}
