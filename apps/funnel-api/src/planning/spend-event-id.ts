/**
 * The event id of a campaign spend sent with the client's `spendId`: a name-based UUID (v5) of
 * the spend id, in a namespace of its own (ADR 0007, addendum "A spend without a key"). The
 * store records an event id once, so a retry of the spend — sequential, concurrent, after a
 * crash or after an Idempotency-Key expired — is refused by the store, not counted twice.
 *
 * It must never derive from anything but the spend id (not the campaign, not the clock, not a
 * key): every attempt to record that spend must name the same event. Without a spend id the
 * event id is minted as before (random, or derived from an Idempotency-Key).
 */
import { v5 as uuidv5 } from 'uuid';

/** RFC 9562 §5.5 namespace of spend ids: Tandem's own, fixed for good. */
const SPEND_ID_NAMESPACE = 'b3a1e2d4-5c6f-5a7b-8c9d-0e1f2a3b4c5d';

export const spendEventId = (spendId: string): string => uuidv5(spendId, SPEND_ID_NAMESPACE);
