/**
 * Reads the `Idempotency-Key` request header (draft-ietf-httpapi-idempotency-key-header).
 * The draft makes it a Structured Field string (`"a-key"`); clients such as Stripe's send it
 * bare (`a-key`). Both are accepted and mean the same key. A key is 1–255 printable ASCII
 * characters, sent on one header line; anything else is refused before any work (400).
 */
import type { Request } from 'express';

export const IDEMPOTENCY_KEY_HEADER = 'idempotency-key';
export const MAX_IDEMPOTENCY_KEY_LENGTH = 255;
const PRINTABLE_ASCII = /^[\x20-\x7e]+$/;

export type IdempotencyKeyHeader =
  | { readonly kind: 'absent' }
  | { readonly kind: 'invalid'; readonly reason: string }
  | { readonly kind: 'key'; readonly key: string };

export function readIdempotencyKey(request: Request): IdempotencyKeyHeader {
  const raw = request.headers[IDEMPOTENCY_KEY_HEADER];
  if (raw === undefined) return { kind: 'absent' };
  // Node joins two lines of the header into one value (`a1, a2`), which was taken as the key:
  // a gateway adding its key beside the client's made a third. Only headersDistinct tells.
  const lines = request.headersDistinct?.[IDEMPOTENCY_KEY_HEADER]?.length ?? 1;
  if (Array.isArray(raw) || lines > 1) return { kind: 'invalid', reason: 'must be sent once' };
  const quoted = /^"(.*)"$/.exec(raw);
  const key = quoted?.[1] ?? raw;
  if (key.length === 0) return { kind: 'invalid', reason: 'must not be empty' };
  if (key.length > MAX_IDEMPOTENCY_KEY_LENGTH) {
    return {
      kind: 'invalid',
      reason: `must be at most ${MAX_IDEMPOTENCY_KEY_LENGTH} characters (got ${key.length})`,
    };
  }
  if (!PRINTABLE_ASCII.test(key)) {
    return { kind: 'invalid', reason: 'must be printable ASCII (0x20-0x7E)' };
  }
  return { kind: 'key', key };
}
