/**
 * Step one of the projector pipeline: what to do with one Kafka message. A
 * message that is not a valid Tandem envelope is not an error to retry — it will
 * never become valid — so it is routed to the dead-letter topic with its reason
 * and the partition moves on.
 */
import { decodeEventMessage, type TandemEnvelope } from '@tandem/contracts';

export type MessageOutcome =
  | { readonly kind: 'ok'; readonly envelope: TandemEnvelope }
  | { readonly kind: 'dlq'; readonly reason: string };

export function classifyMessage(value: Buffer | null): MessageOutcome {
  const decoded = decodeEventMessage(value);
  return decoded.ok
    ? { kind: 'ok', envelope: decoded.envelope }
    : { kind: 'dlq', reason: decoded.reason };
}
