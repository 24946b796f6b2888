/**
 * Step one of the projector pipeline: what to do with one Kafka message. A
 * message that is not a valid Tandem envelope is not an error to retry — it will
 * never become valid — so it is routed to the dead-letter topic with its reason
 * and the partition moves on.
 */
import { decodeMessage, type ReceivedMessage, type TandemEnvelope } from '@tandem/contracts';

export type MessageOutcome =
  | { readonly kind: 'ok'; readonly envelope: TandemEnvelope }
  | { readonly kind: 'dlq'; readonly reason: string };

/** Reads the value and cross-checks the headers, CloudEvents or the older `tandem-*` form. */
export function classifyMessage(message: ReceivedMessage): MessageOutcome {
  const decoded = decodeMessage(message);
  return decoded.ok
    ? { kind: 'ok', envelope: decoded.envelope }
    : { kind: 'dlq', reason: decoded.reason };
}
