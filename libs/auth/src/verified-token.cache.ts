/**
 * Bearer tokens already verified, kept until they expire, so a client that sends the same JWT
 * on every request pays for its signature check once, not per request (an Ed25519 check is
 * ~0.1 ms of CPU: a tenth of a command's budget at 2,000 commands/s).
 * A JWT cannot be revoked before its `exp` anyway; what can change is the set of keys trusted
 * to sign it (a rotated identity-provider key). So an entry also ends `maxAgeMs` after it was
 * verified, about as long as jose keeps a fetched JWKS before looking again.
 * Only successful verifications are kept: a rejected token is checked afresh each time.
 * Bounded: beyond `maxEntries` the entry verified longest ago is dropped.
 * It must never answer for a token past its `exp`, nor for API keys (looked up on every
 * request so a revocation counts at once: request-authenticator.ts).
 */
import type { VerifiedToken } from './access-token.verifier';

/** More distinct live tokens than a single API process sees within a few minutes. */
export const DEFAULT_CACHED_TOKENS = 10_000;
/** jose's remote JWKS keeps fetched keys for 10 minutes; stay below that. */
export const DEFAULT_TOKEN_CACHE_MAX_AGE_MS = 5 * 60_000;

interface Entry {
  readonly token: VerifiedToken;
  /** Epoch ms after which the entry no longer answers. */
  readonly until: number;
}

export class VerifiedTokenCache {
  /** Map order is insertion order: eviction takes the front (the oldest verification). */
  private readonly entries = new Map<string, Entry>();

  constructor(
    private readonly maxEntries = DEFAULT_CACHED_TOKENS,
    private readonly maxAgeMs = DEFAULT_TOKEN_CACHE_MAX_AGE_MS,
    private readonly now: () => number = Date.now,
  ) {
    if (!Number.isInteger(maxEntries) || maxEntries < 1) {
      throw new RangeError(`maxEntries must be a positive integer, got ${maxEntries}`);
    }
  }

  get size(): number {
    return this.entries.size;
  }

  /** The verified token for `jwt`, or `undefined` when unknown or no longer valid. */
  get(jwt: string): VerifiedToken | undefined {
    const entry = this.entries.get(jwt);
    if (entry === undefined) return undefined;
    if (this.now() >= entry.until) {
      this.entries.delete(jwt);
      return undefined;
    }
    return entry.token;
  }

  /** Keeps `token`, verified just now, until `expiresAtSeconds` (the JWT's `exp`) at the latest. */
  remember(jwt: string, token: VerifiedToken, expiresAtSeconds: number): void {
    const now = this.now();
    const until = Math.min(expiresAtSeconds * 1000, now + this.maxAgeMs);
    if (!(until > now)) return;
    this.entries.delete(jwt);
    this.entries.set(jwt, { token, until });
    if (this.entries.size > this.maxEntries) {
      const oldest = this.entries.keys().next();
      if (oldest.done !== true) this.entries.delete(oldest.value);
    }
  }
}
