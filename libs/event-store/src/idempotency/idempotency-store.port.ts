/**
 * The idempotency-key port: what lets a client retry a command (same `Idempotency-Key`, same
 * body) without it being appended twice, kept in the event store's own database so keys
 * survive a restart and work embedded. The HTTP edge (apps/funnel-api, ADR 0007) decides
 * scopes, fingerprints and statuses; this port only keeps the records, and ties a request's
 * append to its key.
 *
 * Guarantees every adapter must give (`idempotency-store.contract.ts` checks each):
 * - one reservation per live key: of concurrent `reserve` calls with one key, exactly one
 *   gets `reserved`; the others see `in_flight` (or `fingerprint_mismatch`);
 * - an append made inside `runReserved(reservation, work)` through this store's `append`
 *   commits in the same transaction as the record that it happened ("fenced"): a crash
 *   leaves either both or neither. It is refused (ReservationLostError, nothing written)
 *   when the reservation was taken over meanwhile, so two attempts never both append;
 * - a reservation whose lease ran out (its request died) is taken over by the next
 *   `reserve`: as `recovered` with the events its append wrote, if it appended, else as a
 *   fresh `reserved`;
 * - `complete` keeps the response until the key expires (`ttlSeconds` after it was first
 *   reserved); an expired key is a new key. Times come from the database's clock.
 * It must never: append anything itself, keep a body or a key in plain text beyond what
 * the caller hands it (callers pass hashes), or let a key outlive its TTL in a lookup.
 */
import type { JsonValue, RecordedEvent } from '../event-store.port';

/** The right to execute a request under a key. `owner` fences appends and completion. */
export interface IdempotencyReservation {
  readonly scopeKey: string;
  readonly owner: string;
}

/** What is replayed for a completed key. */
export interface StoredResponse {
  readonly statusCode: number;
  /** Lower-case header names; only the ones worth replaying (e.g. `location`). */
  readonly headers: Readonly<Record<string, string>>;
  readonly body: JsonValue;
}

export interface ReserveOptions {
  /** How long the key is kept from its first reservation. */
  readonly ttlSeconds: number;
  /** How long a reservation counts as alive (its request still running) without completing. */
  readonly leaseSeconds: number;
}

export type ReserveOutcome =
  /** New key (or an abandoned attempt that appended nothing): execute the request. */
  | { readonly kind: 'reserved'; readonly reservation: IdempotencyReservation }
  /** An earlier attempt appended and never answered: answer from `events`, then complete. */
  | {
      readonly kind: 'recovered';
      readonly reservation: IdempotencyReservation;
      readonly events: readonly RecordedEvent[];
    }
  | { readonly kind: 'completed'; readonly response: StoredResponse }
  /** Another attempt holds the key and its lease has not run out. */
  | { readonly kind: 'in_flight' }
  /** The key was first used with another request body. */
  | { readonly kind: 'fingerprint_mismatch' };

export interface IdempotencyRecord {
  readonly scopeKey: string;
  readonly fingerprint: string;
  readonly state: 'in_flight' | 'completed';
  /** The stream and revisions the key's append wrote, `null` before any append. */
  readonly appended: {
    readonly streamId: string;
    readonly fromRevision: bigint;
    readonly toRevision: bigint;
  } | null;
  readonly response: StoredResponse | null;
  readonly createdAt: Date;
  readonly expiresAt: Date;
}

export interface IdempotencyStore {
  /** `scopeKey` and `fingerprint`: opaque strings of 1–255 characters (the caller's hashes). */
  reserve(scopeKey: string, fingerprint: string, options: ReserveOptions): Promise<ReserveOutcome>;
  /**
   * Runs `work`; the (at most one) `append` on this store that `work` makes is fenced by
   * `reservation` and recorded with it, atomically. A second append under it is refused.
   */
  runReserved<T>(reservation: IdempotencyReservation, work: () => Promise<T>): Promise<T>;
  /** Stores the response; `false` when the reservation was taken over (nothing stored). */
  complete(reservation: IdempotencyReservation, response: StoredResponse): Promise<boolean>;
  /**
   * Gives the key up after a failed attempt: forgotten if nothing was appended under it (a
   * retry executes afresh), else its lease ends now (a retry recovers the appended events).
   */
  release(reservation: IdempotencyReservation): Promise<void>;
  /** The live record of a key, `null` when unknown or expired. */
  lookup(scopeKey: string): Promise<IdempotencyRecord | null>;
  /** Deletes up to `limit` expired keys; returns how many. */
  purgeExpired(limit: number): Promise<number>;
}

/** The optional capability of an event store (PostgreSQL and PGlite have it, KurrentDB not yet). */
export interface IdempotentEventStore {
  readonly idempotency: IdempotencyStore;
}

export function supportsIdempotency<S extends object>(store: S): store is S & IdempotentEventStore {
  const candidate = (store as Partial<IdempotentEventStore>).idempotency;
  return typeof candidate === 'object' && candidate !== null;
}
