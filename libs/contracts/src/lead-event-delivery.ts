/**
 * What both subscribe adapters (kafkajs, @platformatic/kafka) do with one message, apart from
 * the client: decode it, skip an event id seen recently, run the handler to a final outcome
 * with back-off, and dead-letter what will never work. The adapters bring the client: they
 * fetch, wait, commit and send; this module decides.
 *
 * It must never import a Kafka client, and never report a message settled before it reached
 * 'ok' or the DLQ.
 */
import type { Upcasters } from './envelope.codec';
import {
  decodeMessage,
  eventHeaders,
  readEventHeaders,
  type MessageHeaders,
} from './kafka-message.codec';
import type { TandemEnvelope } from './tandem-event';

export type HandleOutcome = 'ok' | 'retry' | 'dlq';

export interface DeadLetter {
  readonly reason: string;
  readonly partition: number;
  readonly offset: string;
  /** Null when the message did not decode. */
  readonly eventId: string | null;
}

/** The options both adapters share. */
export interface DeliveryOptions {
  readonly groupId: string;
  /** Default `tandem.lead-events.v1`. Dead letters go to `<topic>.dlq`. */
  readonly topic?: string;
  readonly handle: (envelope: TandemEnvelope) => Promise<HandleOutcome>;
  /** Called after a message was written to the DLQ (e.g. to count or log it). */
  readonly onDeadLetter?: (letter: DeadLetter) => void | Promise<void>;
  readonly upcasters?: Upcasters;
  /** How many recent event ids are remembered for dedupe. Default 10 000. */
  readonly dedupeWindow?: number;
  /** Backoff doubles from initialMs to maxMs; after maxAttempts → DLQ. Default: retry until stopped. */
  readonly retry?: {
    readonly initialMs?: number;
    readonly maxMs?: number;
    readonly maxAttempts?: number;
  };
}

/** A received message as both clients can describe it. */
export interface DeliveredMessage {
  readonly partition: number;
  readonly offset: string;
  readonly key: Uint8Array | string | null;
  readonly value: Uint8Array | string | null;
  readonly headers: MessageHeaders;
}

/** The DLQ record for a message: the same key, value and headers, plus where and why. */
export interface DeadLetterRecord {
  readonly key: Uint8Array | string | null;
  readonly value: Uint8Array | string | null;
  readonly headers: MessageHeaders;
}

export type Settled = 'done' | 'interrupted';

export interface Delivery {
  /**
   * Runs one message to 'ok' or the DLQ ('done'), or gives up when `wait` says the message is
   * no longer this member's ('interrupted'): then nothing may be committed for it.
   */
  settle(message: DeliveredMessage, wait: (ms: number) => Promise<boolean>): Promise<Settled>;
}

export function createDelivery(
  options: DeliveryOptions,
  topic: string,
  sendDeadLetter: (record: DeadLetterRecord) => Promise<void>,
): Delivery {
  const window = options.dedupeWindow ?? 10_000;
  const { initialMs = 200, maxMs = 30_000, maxAttempts = Infinity } = options.retry ?? {};
  const seen = new Set<string>(); // insertion order = age
  const remember = (eventId: string) => {
    seen.add(eventId);
    for (const oldest of seen) {
      if (seen.size <= window) break;
      seen.delete(oldest);
    }
  };

  async function deadLetter(message: DeliveredMessage, reason: string): Promise<void> {
    const eventId = readEventHeaders(message.headers).eventId;
    await sendDeadLetter({
      key: message.key,
      value: message.value,
      headers: {
        ...message.headers,
        [eventHeaders.dlqReason]: reason,
        'tandem-source': `${topic}/${message.partition}/${message.offset}`,
        'tandem-dlq-group': options.groupId,
      },
    });
    // Observation only: a failing callback must not write the same dead letter again.
    const letter = { reason, partition: message.partition, offset: message.offset, eventId };
    await Promise.resolve(letter)
      .then((l) => options.onDeadLetter?.(l))
      .catch(() => undefined);
  }

  return {
    async settle(message, wait) {
      const decoded = decodeMessage(message, options.upcasters);
      if (!decoded.ok) return deadLetter(message, decoded.reason).then(() => 'done');
      const { envelope } = decoded;
      const { eventId } = envelope;
      if (seen.has(eventId)) return 'done';
      let lastError = '';
      for (let attempt = 1; ; attempt++) {
        const outcome = await Promise.resolve(envelope)
          .then(options.handle)
          .catch((error: unknown) => {
            lastError = `: ${error instanceof Error ? error.message : String(error)}`;
            return 'retry' as const;
          });
        if (outcome === 'ok' || outcome === 'dlq' || attempt >= maxAttempts) {
          if (outcome === 'dlq') {
            await deadLetter(message, `handler of ${options.groupId} answered dlq`);
          } else if (outcome !== 'ok') {
            await deadLetter(message, `handler still retrying after ${attempt} tries${lastError}`);
          }
          remember(eventId);
          return 'done';
        }
        if (!(await wait(Math.min(maxMs, initialMs * 2 ** (attempt - 1))))) return 'interrupted';
      }
    },
  };
}
