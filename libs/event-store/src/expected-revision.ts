/**
 * The one textual form of an expected revision, shared by every adapter: it is what
 * WrongExpectedRevisionError reports and what the PostgreSQL append function receives.
 * It must never accept a value that the port's type does not allow (negative or
 * out-of-range revisions): that would turn a caller's bug into a silent 'any'.
 */
import { InvalidAppendError } from './event-store.errors';
import type { ExpectedRevision } from './event-store.port';

/** Revisions are stored as PostgreSQL `bigint` (and KurrentDB's u64 is wider), so cap at int8. */
export const MAX_REVISION = 2n ** 63n - 1n;

export function formatExpectedRevision(expected: ExpectedRevision): string {
  if (typeof expected === 'bigint') {
    if (expected < 0n || expected > MAX_REVISION) {
      throw new InvalidAppendError(`expected revision ${expected.toString()} is out of range`);
    }
    return expected.toString();
  }
  switch (expected) {
    case 'any':
    case 'no_stream':
    case 'stream_exists':
      return expected;
    default:
      // Reachable only from untyped callers (JSON input, casts).
      throw new InvalidAppendError(`unknown expected revision ${String(expected)}`);
  }
}
