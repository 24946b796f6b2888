/**
 * The seam through which the sealing decorator records a lead's new data key in the same
 * transaction as the first events sealed under it (ADR 0009): both commit, or neither. Offered
 * only by a store whose database also holds the key table (PostgreSQL, PGlite); the factory
 * hands it to the decorator explicitly, because only it knows the vault's table is there.
 * An implementation must never write the events without the key, nor keep a lead's existing
 * row (a key or an erasure's tombstone) silently while writing events sealed under another key.
 */
import type { AppendResult, EventToAppend, ExpectedRevision } from '../event-store.port';

/** A lead's fresh data key as its `personal_data_keys` row holds it: wrapped, base64. */
export interface NewLeadKey {
  readonly leadId: string;
  readonly wrappedKey: string;
  /** The wrapping master key's id (KeyWrapper.keyId), for rotation. */
  readonly wrappedBy: string;
}

/**
 * The lead already had a key row when the append came to record a new one: nothing was
 * written. The caller seals again with the lead's key (or learns that it was erased).
 */
export class LeadKeyExistsError extends Error {
  constructor(readonly leadId: string) {
    super(`lead ${leadId} already has a data key: the append was not written`);
    this.name = 'LeadKeyExistsError';
  }
}

export interface LeadKeyAppender {
  /**
   * Appends `events` (sealed under `key`) and inserts `key` in one transaction. Rejects with
   * LeadKeyExistsError when the lead has a row already, or with the port's append errors; in
   * every rejection neither the key nor the events were written.
   */
  appendWithNewKey(
    streamId: string,
    events: readonly EventToAppend[],
    options: { readonly expectedRevision: ExpectedRevision },
    key: NewLeadKey,
  ): Promise<AppendResult>;
}
