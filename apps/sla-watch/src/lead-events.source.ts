/**
 * The port through which sla-watch reads Kafka, so the runner does not care which client a
 * team chose: the contracts' subscribe helper for that client, and the two offset look-ups
 * the escalation barrier needs. Adapters: platformatic.source.ts (what main.ts runs) and
 * kafkajs.source.ts; test/sla-watch.int.spec.ts runs the runner on both.
 * An adapter must never commit an offset itself: the subscribe helper does, after `handle`.
 */
import type { DeadLetter, HandleOutcome, Subscription, TandemEnvelope } from '@tandem/contracts';

export interface SourceSubscribeOptions {
  readonly groupId: string;
  readonly topic: string;
  readonly handle: (envelope: TandemEnvelope) => Promise<HandleOutcome>;
  readonly onDeadLetter: (letter: DeadLetter) => void;
  readonly onCrash: (error: Error) => void;
}

export interface LeadEventSource {
  /** Subscribes a new group from the first offset. */
  subscribe(options: SourceSubscribeOptions): Promise<Subscription>;
  /** End offset per partition of `topic`, empty partitions left out (nothing to wait for). */
  topicEnds(topic: string): Promise<Map<number, bigint>>;
  /** The next offset `groupId` will read, per partition it has committed. */
  committed(groupId: string, topic: string): Promise<Map<number, bigint>>;
  /** Closes what the source opened (after every subscription stopped). */
  close(): Promise<void>;
}
