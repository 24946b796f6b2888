/**
 * Step one of the projector pipeline: what to do with one Kafka message. A
 * message that is not a valid Tandem envelope is not an error to retry — it will
 * never become valid — so its outcome is `dlq` with the reason, and the partition
 * moves on once the dead-letter topic has it.
 */
import { dlq, ok, type StepOutcome } from '@tandem/analytics';
import { decodeMessage, type ReceivedMessage, type TandemEnvelope } from '@tandem/contracts';

/** Reads the value and cross-checks the headers, CloudEvents or the older `tandem-*` form. */
export function classifyMessage(message: ReceivedMessage): StepOutcome<TandemEnvelope> {
  const decoded = decodeMessage(message);
  return decoded.ok ? ok(decoded.envelope) : dlq(decoded.reason);
}
