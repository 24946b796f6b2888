/**
 * Deterministic event ids for imported facts, so that importing the same history
 * twice adds nothing: the id of a lead's n-th fact is a function of the lead, the
 * fact's place in the lead's business-time order, its command type and its business time.
 * A second run (same file, a re-export, a file fixed after a refusal) derives the
 * same ids, and a lead whose stream already holds its first one is recognised as
 * imported.
 *
 * The id is a valid UUIDv7 whose timestamp is the business time (so ids of imported
 * history sort like it happened) and whose 74 "random" bits come from a sha256 of
 * the inputs above. It must never depend on the file's name, its line numbers or
 * the wall clock.
 */
import { hash } from 'node:crypto';

export function importEventId(
  leadId: string,
  factIndex: number,
  eventIndex: number,
  type: string,
  occurredAtMs: number,
): string {
  // One-shot hash: a third of the cost of createHash().update().digest() per id.
  const digest = hash(
    'sha256',
    `${leadId}\n${factIndex}\n${eventIndex}\n${type}\n${occurredAtMs}`,
    'buffer',
  );
  const bytes = Buffer.alloc(16);
  // 48-bit big-endian Unix milliseconds; history before 1970 keeps the hash's entropy only.
  const ms = Math.max(0, Math.min(occurredAtMs, 2 ** 48 - 1));
  bytes.writeUIntBE(ms, 0, 6);
  digest.copy(bytes, 6, 0, 10);
  bytes[6] = 0x70 | ((bytes[6] ?? 0) & 0x0f); // version 7
  bytes[8] = 0x80 | ((bytes[8] ?? 0) & 0x3f); // RFC 4122 variant
  const hex = bytes.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
