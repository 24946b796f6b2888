/**
 * The API-key port: service credentials for integrations (import jobs, marketing automation,
 * downstream tools), kept in the event store's own database so they work embedded and survive
 * restarts (ADR 0011). The secret format and hashing are libs/auth's (`api-key.ts`); this
 * port only keeps records: who the key acts as, under which roles, and whether it still may.
 *
 * Guarantees every adapter must give (`api-key-store.contract.ts` checks each):
 * - a key id is recorded once (a second `create` with it fails, the first record stands);
 * - a name is held by one active key at a time: a `create` under a name an active key holds
 *   fails naming that key (`ApiKeyNameTakenError`), so a retried create never makes a second
 *   secret; once that key is revoked the name is free;
 * - `credential` answers from what is stored now, so a revocation counts from the next lookup;
 * - a revoked key stays revoked: `revoke` again keeps the first time and revoker;
 * - `list` never carries the secret's hash.
 * It must never see or keep a secret (callers hand it the hash), nor delete a key's record:
 * a revoked key's row is its audit trail.
 */
import type { Role } from '@tandem/domain';

export interface NewApiKey {
  /** 16 hex characters (libs/auth `generateApiKey`): finds the record, not secret. */
  readonly keyId: string;
  /** SHA-256 (hex) of the secret; the secret itself never reaches the store. */
  readonly secretHash: string;
  readonly name: string;
  readonly roles: readonly Role[];
  /** The actor events record for calls made with the key. */
  readonly actorId: string;
  readonly createdBy: string;
}

/** A key as ops see it: never its secret or hash. */
export interface ApiKeyRecord {
  readonly keyId: string;
  readonly name: string;
  readonly roles: readonly Role[];
  readonly actorId: string;
  readonly createdAt: Date;
  readonly createdBy: string;
  readonly revokedAt: Date | null;
  readonly revokedBy: string | null;
  readonly lastUsedAt: Date | null;
}

/** What the authenticator checks a presented key against. */
export interface ApiKeyCredential extends ApiKeyRecord {
  readonly secretHash: string;
}

export interface ApiKeyStore {
  /**
   * Records a new key; rejects a key id already recorded (`ApiKeyExistsError`) and a name an
   * active key holds (`ApiKeyNameTakenError`).
   */
  create(key: NewApiKey): Promise<ApiKeyRecord>;
  /** The key with its hash, revoked or not; `null` when unknown. */
  credential(keyId: string): Promise<ApiKeyCredential | null>;
  /** Every key, revoked ones included, newest first (keys made in one clock tick: any order). */
  list(): Promise<ApiKeyRecord[]>;
  /** Revokes the key (once: the first revocation's time and revoker stand); `null` when unknown. */
  revoke(keyId: string, revokedBy: string): Promise<ApiKeyRecord | null>;
  /** Notes that the key was just used (database clock). */
  markUsed(keyId: string): Promise<void>;
}

export class ApiKeyExistsError extends Error {
  constructor(readonly keyId: string) {
    super(`API key ${keyId} already exists`);
    this.name = 'ApiKeyExistsError';
  }
}

/** A create under a name an active key holds: names that key, never anything secret. */
export class ApiKeyNameTakenError extends Error {
  constructor(
    readonly keyName: string,
    readonly keyId: string,
  ) {
    super(`the API key ${keyId} is active under the name ${keyName}`);
    this.name = 'ApiKeyNameTakenError';
  }
}

/** The optional capability of an event store (PostgreSQL and PGlite have it, KurrentDB not yet). */
export interface ApiKeyCapableEventStore {
  readonly apiKeys: ApiKeyStore;
}

export function supportsApiKeys<S extends object>(store: S): store is S & ApiKeyCapableEventStore {
  const candidate = (store as Partial<ApiKeyCapableEventStore>).apiKeys;
  return typeof candidate === 'object' && candidate !== null;
}
