/**
 * The seam between per-lead data keys and whatever protects them at rest. Today a local
 * master key (master-key.wrapper.ts); a key service (KMS, Vault transit) is another adapter
 * of this port. Rotation is `rewrap` in the vault: unwrap with the old wrapper, wrap with the
 * new one; the data itself is never re-encrypted.
 */
export interface KeyWrapper {
  /** Names the master key that wrapped a row, so rotation knows which rows are left. */
  readonly keyId: string;
  /** `leadId` is bound as additional data: a wrapped key cannot be moved to another lead. */
  wrap(dataKey: Buffer, leadId: string): Promise<Buffer>;
  /**
   * Rejects with KeyNotUnwrappedError when `wrapped` does not unwrap under this key for
   * `leadId`: an answer that stays the same. Any other rejection (a key service that did not
   * answer, a timeout) is transient: the caller tries again later, and never takes the row for
   * a bad one.
   */
  unwrap(wrapped: Buffer, leadId: string): Promise<Buffer>;
}

/**
 * A wrapped key that does not unwrap under the key asked: its bytes damaged, or wrapped by
 * another key (or for another lead). Permanent, unlike an error reaching the key service.
 */
export class KeyNotUnwrappedError extends Error {
  constructor(
    readonly leadId: string,
    readonly keyId: string,
  ) {
    super(`the key of lead ${leadId} does not unwrap under master ${keyId}`);
    this.name = 'KeyNotUnwrappedError';
  }
}

/**
 * An unwrap that failed without saying anything of the row (a key service that did not
 * answer, a timeout): the lead's values are neither withheld nor erased, only not at hand now.
 * The caller answers "try again" (the API: 503), never a verdict on the key.
 */
export class KeyServiceUnavailableError extends Error {
  constructor(
    readonly leadId: string,
    cause: unknown,
  ) {
    super(`the key service did not unwrap the key of lead ${leadId}: try again shortly`, {
      cause,
    });
    this.name = 'KeyServiceUnavailableError';
  }
}
