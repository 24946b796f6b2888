/**
 * The one way a Tandem server compares a presented secret with the configured one (the
 * /metrics bearer secret, the trusted proxy's secret). Both sides are hashed to SHA-256
 * first, so `timingSafeEqual` always compares 32 bytes: neither the secret's length nor how
 * many leading characters were right shows in the response time. It must never return early
 * on a length difference.
 */
import { createHash, timingSafeEqual } from 'node:crypto';

/** The fixed-length digest to keep in place of a configured secret. */
export const secretDigest = (secret: string): Buffer =>
  createHash('sha256').update(secret).digest();

export function sameSecret(given: string, expectedDigest: Buffer): boolean {
  return timingSafeEqual(secretDigest(given), expectedDigest);
}
