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
  unwrap(wrapped: Buffer, leadId: string): Promise<Buffer>;
}
