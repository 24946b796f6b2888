/**
 * Per-lead data keys, wrapped, in a table beside the events (same PostgreSQL/PGlite database
 * and schema): `personal_data_keys`, one row per lead. Erasure (`shred`) replaces the wrapped
 * key by NULL and keeps the row as a tombstone, so an erased lead is told apart from a lead
 * recorded before sealing existed (no row: its values are plain) and can never get a new key.
 * Keys are created lazily, on the first personal value a lead records. Where the store shares
 * the vault's database (PostgreSQL, PGlite) a new lead's key is made here (`newKey`) and
 * inserted by the store in the transaction of the first append sealed under it, so the two
 * commit together; elsewhere (`keysToSeal`) it is inserted on its own before the append, and a
 * failed append can leave an unused key, which is harmless. Either way no event is ever
 * committed sealed under a key that is not.
 * Master-key rotation (docs/personal-data.md): given the previous master key too, the vault
 * unwraps a row with the key its `wrapped_by` names, wraps new keys only with the current one,
 * and `rewrapPrevious` moves the rows still under the previous key, a batch at a time in lead
 * id order: a row that does not unwrap is passed over and named, never rewritten; an unwrap
 * that fails otherwise (a key service not answering) fails the batch, to be tried again.
 * A row that does not unwrap when read (damaged, or wrapped under a master key this process
 * does not hold) is handed out as `unreadable`: its values are withheld from readers and nothing
 * new is sealed for the lead, and the row is left as it is, for an operator to restore. An
 * unwrap that fails otherwise is KeyServiceUnavailableError: to be tried again.
 * It must never hand out a key of a shredded lead, nor keep one in memory after shredding it.
 */
import { createSecretKey, type KeyObject } from 'node:crypto';
import type { SqlQueryable } from '../postgres/sql-executor';
import { type DataKey, newDataKey } from './personal-data.cipher';
import {
  type KeyWrapper,
  KeyNotUnwrappedError,
  KeyServiceUnavailableError,
} from './key-wrapper.port';
import type { NewLeadKey } from './lead-key-append.port';

/** A lead's key as a reader or writer finds it. */
export type LeadKey =
  | { readonly kind: 'key'; readonly key: DataKey }
  /** Erased: its personal values can never be read again. */
  | { readonly kind: 'shredded' }
  /** Never sealed anything (recorded before sealing existed, or no personal value yet). */
  | { readonly kind: 'none' }
  /**
   * Its row holds a key that does not unwrap here: damaged, or wrapped by a master key this
   * process does not hold (`wrappedBy`, the row's fingerprint). Not erased: restoring the row
   * opens it again, so nothing may replace it.
   */
  | { readonly kind: 'unreadable'; readonly wrappedBy: string | null };

/** Told of a lead whose key row does not unwrap here, once per lead and master key. */
export type KeyNotUnwrappedListener = (leadId: string, wrappedBy: string | null) => void;

function textColumn(value: unknown): string {
  if (typeof value !== 'string') throw new Error('personal_data_keys: expected a text column');
  return value;
}

/** One batch of a rotation: the rows it read, rewrote and could not unwrap. */
export interface RewrapBatch {
  /** Keys under the old master key read in this batch; 0 once none is left past `after`. */
  readonly selected: number;
  /** Of those, rewritten by this call (another process may have rewritten the others). */
  readonly rewrapped: number;
  /** The last lead id read: the next batch starts after it (null when none was read). */
  readonly last: string | null;
  /** Leads whose key the old master key did not unwrap (damaged, or wrapped by another key). */
  readonly unreadable: readonly string[];
}

/**
 * The index the rotation reads by (the count and the batches): every live key by its master
 * key's fingerprint, then lead id. A rotation's keys are a range of it, so neither scans the
 * table, and once they are gone the count reads an empty range.
 */
const ROTATION_INDEX = 'personal_data_keys_wrapped_by';

/** Unwrapped keys kept for sealing; bounded so a bulk import cannot hold every key. */
const CACHE_LIMIT = 10_000;

export class LeadKeyVault {
  private readonly table: string;
  private readonly schema: string;
  /**
   * Only for sealing, and checked against the table before each use (forgetShredded): an
   * erasure elsewhere wins at once. Opening always asks the table.
   */
  private readonly cache = new Map<string, DataKey>();
  /** Leads (and the master key named) already reported to `onKeyNotUnwrapped`. */
  private readonly reported = new Set<string>();

  constructor(
    private readonly db: SqlQueryable,
    quotedSchema: string,
    private readonly wrapper: KeyWrapper,
    /** The master key before the current one, during a rotation: it only unwraps. */
    private readonly previous: KeyWrapper | null = null,
    private readonly onKeyNotUnwrapped: KeyNotUnwrappedListener = () => {},
  ) {
    this.schema = quotedSchema;
    this.table = `${quotedSchema}.personal_data_keys`;
    if (previous?.keyId === wrapper.keyId) this.previous = null;
  }

  async init(): Promise<void> {
    try {
      await this.createTable();
    } catch (error) {
      // Two processes creating the table at once: IF NOT EXISTS still races in the catalogue
      // (duplicate pg_type row, 23505, or 42P07). The loser finds the table made; check once more.
      const code = (error as { code?: unknown }).code;
      if (code !== '23505' && code !== '42P07') throw error;
      await this.createTable();
    }
    await this.buildRotationIndex();
  }

  /**
   * Built CONCURRENTLY, alone and outside a transaction: on a store with millions of keys a
   * plain build's SHARE lock would hold every new lead's first append for the whole scan. A
   * build that was killed leaves the index INVALID (unused, yet maintained): one no session is
   * building now is dropped and built again; one another process is building is left to it.
   */
  private async buildRotationIndex(): Promise<void> {
    const [state] = await this.db.query(
      `SELECT i.indisvalid AS valid,
              EXISTS (SELECT 1 FROM pg_stat_progress_create_index p
                       WHERE p.index_relid = i.indexrelid) AS building
         FROM pg_index i
        WHERE i.indexrelid = to_regclass($1::text)`,
      [`${this.schema}.${ROTATION_INDEX}`],
    );
    if (state?.valid === true || state?.building === true) return;
    if (state !== undefined) {
      await this.db.exec(`DROP INDEX CONCURRENTLY IF EXISTS ${this.schema}.${ROTATION_INDEX}`);
    }
    await this.db.exec(
      `CREATE INDEX CONCURRENTLY IF NOT EXISTS ${ROTATION_INDEX}
         ON ${this.table} (wrapped_by, lead_id) WHERE wrapped_key IS NOT NULL`,
    );
  }

  private async createTable(): Promise<void> {
    await this.db.exec(
      `CREATE TABLE IF NOT EXISTS ${this.table} (
         lead_id text PRIMARY KEY,
         wrapped_key text,
         wrapped_by text,
         created_at timestamptz NOT NULL DEFAULT now(),
         shredded_at timestamptz
       )`,
    );
  }

  /** Keys to read with: what the table holds now, never the sealing cache. */
  async keysToOpen(leadIds: readonly string[]): Promise<Map<string, LeadKey>> {
    return this.load([...new Set(leadIds)]);
  }

  /**
   * Keys to seal with, created for leads that have none; a shredded lead stays shredded.
   * Leads not in the cache cost one statement: a fresh key is wrapped for each and inserted
   * unless the lead has a row, and the rows the leads already had come back with it. (Wrapping
   * a key that turns out unneeded costs microseconds; a statement more per capture cost more.)
   */
  async keysToSeal(leadIds: readonly string[]): Promise<Map<string, LeadKey>> {
    const result = new Map<string, LeadKey>();
    const wanted = [...new Set(leadIds)].filter((leadId) => {
      const cached = this.cache.get(leadId);
      if (cached) result.set(leadId, { kind: 'key', key: cached });
      return !cached;
    });
    await this.forgetShredded(result);
    if (wanted.length === 0) return result;
    const fresh = wanted.map(() => newDataKey());
    const wrapped = await Promise.all(
      wanted.map(async (leadId, i) =>
        (await this.wrapper.wrap(fresh[i] as Buffer, leadId)).toString('base64'),
      ),
    );
    // ON CONFLICT: the lead's row (a key, or a shredded tombstone) wins over the fresh key. The
    // second SELECT reads the statement's snapshot: rows that existed before it, never the
    // ones it inserts, so no lead comes back twice.
    const rows = await this.db.query(
      `WITH inserted AS (
         INSERT INTO ${this.table} (lead_id, wrapped_key, wrapped_by)
         SELECT lead_id, wrapped_key, $3 FROM unnest($1::text[], $2::text[]) AS k(lead_id, wrapped_key)
         ON CONFLICT (lead_id) DO NOTHING
         RETURNING lead_id, wrapped_key, wrapped_by)
       SELECT lead_id, wrapped_key, wrapped_by FROM inserted
       UNION ALL
       SELECT lead_id, wrapped_key, wrapped_by FROM ${this.table} WHERE lead_id = ANY ($1::text[])`,
      [wanted, wrapped, this.wrapper.keyId],
    );
    // A row this statement inserted holds the key just made: no need to unwrap it again.
    const made = new Map(
      wanted.map((leadId, i) => [leadId, { wrapped: wrapped[i], key: fresh[i] }]),
    );
    const found = await this.keysOf(rows, made);
    // A row a concurrent writer committed after this statement's snapshot: not inserted (the
    // conflict) and not seen. Read it now.
    const missing = wanted.filter((leadId) => !found.has(leadId));
    if (missing.length > 0) {
      for (const [leadId, key] of await this.load(missing)) found.set(leadId, key);
    }
    for (const [leadId, key] of found) {
      result.set(leadId, key);
      if (key.kind === 'key') this.remember(leadId, key.key);
    }
    return result;
  }

  /**
   * Cached keys whose row another process shredded since (an erasure, or a person's erasure
   * stopped before its LeadErased): turned into `shredded` here, and dropped from the cache, so
   * nothing is sealed under a dead key. One lookup by primary key for all of them: the cache
   * saves the unwrap, never this check. A shred committed after it orders the append before
   * the erasure, as if it had come first.
   */
  private async forgetShredded(cached: Map<string, LeadKey>): Promise<void> {
    if (cached.size === 0) return;
    for (const leadId of await this.isShredded([...cached.keys()])) {
      this.cache.delete(leadId);
      cached.set(leadId, { kind: 'shredded' });
    }
  }

  /** Of `leadIds`, those whose key is shredded (read from the table, never unwrapped). */
  private async isShredded(leadIds: readonly string[]): Promise<Set<string>> {
    const rows = await this.db.query(
      `SELECT lead_id FROM ${this.table}
        WHERE lead_id = ANY($1::text[]) AND wrapped_key IS NULL`,
      [[...new Set(leadIds)]],
    );
    return new Set(rows.map((row) => textColumn(row.lead_id)));
  }

  /** The key this process sealed the lead's values with last, if it still holds it. */
  cachedKey(leadId: string): DataKey | undefined {
    return this.cache.get(leadId);
  }

  /**
   * A fresh key for a lead, and its row for the store to insert with the events sealed under
   * it (LeadKeyAppender). Nothing is written here; once the append is committed, `adopt` it.
   */
  async newKey(leadId: string): Promise<{ readonly key: DataKey; readonly row: NewLeadKey }> {
    const fresh = newDataKey();
    const wrappedKey = (await this.wrapper.wrap(fresh, leadId)).toString('base64');
    return {
      key: createSecretKey(fresh),
      row: { leadId, wrappedKey, wrappedBy: this.wrapper.keyId },
    };
  }

  /** A key from `newKey` whose row is committed: sealing reuses it from now on. */
  adopt(leadId: string, key: DataKey): void {
    this.remember(leadId, key);
  }

  /** Erasure: the wrapped key is gone for good; a tombstone row stays. */
  shred(leadId: string): Promise<void> {
    return this.shredAll([leadId]);
  }

  /**
   * Erasure of several leads (a person's, ADR 0009): every wrapped key gone in one statement,
   * so all of them or none, each leaving a tombstone. Shredding a shredded lead again changes
   * nothing (its first shredded_at stays).
   */
  async shredAll(leadIds: readonly string[]): Promise<void> {
    const unique = [...new Set(leadIds)];
    if (unique.length === 0) return;
    for (const leadId of unique) this.cache.delete(leadId);
    await this.db.query(
      `INSERT INTO ${this.table} (lead_id, wrapped_key, wrapped_by, shredded_at)
       SELECT lead_id, NULL, NULL, now() FROM unnest($1::text[]) AS k(lead_id)
       ON CONFLICT (lead_id) DO UPDATE
         SET wrapped_key = NULL, wrapped_by = NULL,
             shredded_at = coalesce(${this.table}.shredded_at, excluded.shredded_at)`,
      [unique],
    );
  }

  /**
   * Master-key rotation: every key wrapped by `from` is unwrapped and wrapped again by this
   * vault's wrapper, in batches. Afterwards the old master key can be destroyed. Returns how
   * many keys this call rewrapped (another process rewrapping at once takes the rest); throws
   * after the pass, naming them, if some did not unwrap (the others are rewrapped).
   */
  async rewrap(from: KeyWrapper, batchSize = 500): Promise<number> {
    let total = 0;
    const unreadable: string[] = [];
    for (let after = ''; ;) {
      const batch = await this.rewrapBatch(from, batchSize, after);
      if (batch.last === null) break;
      total += batch.rewrapped;
      unreadable.push(...batch.unreadable);
      after = batch.last;
    }
    if (unreadable.length > 0) {
      throw new Error(
        `${unreadable.length} lead key(s) did not unwrap under master ${from.keyId} and were left as they were: ${unreadable.join(', ')}`,
      );
    }
    return total;
  }

  /**
   * One batch of the rotation from the previous master key (TANDEM_MASTER_KEY_PREVIOUS): the
   * keys under it whose lead id sorts after `after` ('' from the first), `last` null once none
   * is left past it. A key that does not unwrap is named in `unreadable` and left as it is, so
   * the next batch goes on past it. Safe beside other processes doing the same and after a
   * crash: a row is only rewritten while it is still wrapped by the previous key.
   */
  rewrapPrevious(batchSize = 500, after = ''): Promise<RewrapBatch> {
    return this.previous === null
      ? Promise.resolve({ selected: 0, rewrapped: 0, last: null, unreadable: [] })
      : this.rewrapBatch(this.previous, batchSize, after);
  }

  /** How many keys the previous master key still wraps (0 without one). */
  async keysUnderPrevious(): Promise<number> {
    if (this.previous === null) return 0;
    const rows = await this.db.query(
      `SELECT count(*)::int AS n FROM ${this.table}
        WHERE wrapped_by = $1 AND wrapped_key IS NOT NULL`,
      [this.previous.keyId],
    );
    return Number(rows[0]?.n ?? 0);
  }

  /**
   * Keys wrapped by a master key that is neither the current nor the previous one (a replica
   * started with another TANDEM_MASTER_KEY, a row restored from a backup of an older rotation):
   * this vault opens none of them, and no rotation of its own takes them. How many, and the
   * first `named` of their leads by id. The master keys in use are read by skipping through the
   * rotation index (one probe per key id, a handful), so the usual answer, none, costs no scan.
   */
  async keysUnderOtherMasterKeys(
    named: number,
  ): Promise<{ readonly count: number; readonly leads: readonly string[] }> {
    const ours = [this.wrapper.keyId, ...(this.previous === null ? [] : [this.previous.keyId])];
    const masters = await this.db.query(
      `WITH RECURSIVE masters(id) AS (
         SELECT min(wrapped_by) FROM ${this.table} WHERE wrapped_key IS NOT NULL
         UNION ALL
         SELECT (SELECT min(wrapped_by) FROM ${this.table}
                  WHERE wrapped_key IS NOT NULL AND wrapped_by > m.id)
           FROM masters m WHERE m.id IS NOT NULL)
       SELECT id FROM masters WHERE id IS NOT NULL AND NOT (id = ANY($1::text[]))`,
      [ours],
    );
    const others = masters.map((row) => textColumn(row.id));
    if (others.length === 0) return { count: 0, leads: [] };
    const [counted] = await this.db.query(
      `SELECT count(*)::int AS n FROM ${this.table}
        WHERE wrapped_by = ANY($1::text[]) AND wrapped_key IS NOT NULL`,
      [others],
    );
    const leads = await this.db.query(
      `SELECT lead_id FROM ${this.table}
        WHERE wrapped_by = ANY($1::text[]) AND wrapped_key IS NOT NULL
        ORDER BY lead_id LIMIT $2`,
      [others, named],
    );
    return { count: Number(counted?.n ?? 0), leads: leads.map((row) => textColumn(row.lead_id)) };
  }

  private async rewrapBatch(
    from: KeyWrapper,
    batchSize: number,
    after: string,
  ): Promise<RewrapBatch> {
    const none = { selected: 0, rewrapped: 0, last: null, unreadable: [] };
    if (from.keyId === this.wrapper.keyId) return none;
    // Keyed by lead id, not "the first rows still under `from`": a row that does not unwrap
    // stays under it, and would otherwise be the first row of every batch again.
    const rows = await this.db.query(
      `SELECT lead_id, wrapped_key FROM ${this.table}
        WHERE wrapped_by = $1 AND wrapped_key IS NOT NULL AND lead_id > $3
        ORDER BY lead_id LIMIT $2`,
      [from.keyId, batchSize, after],
    );
    if (rows.length === 0) return none;
    const leadIds: string[] = [];
    const rewrapped: string[] = [];
    const unreadable: string[] = [];
    for (const row of rows) {
      const leadId = textColumn(row.lead_id);
      let key: Buffer;
      try {
        key = await from.unwrap(Buffer.from(textColumn(row.wrapped_key), 'base64'), leadId);
      } catch (error) {
        // A key service that did not answer says nothing of the row: the batch fails, and the
        // caller tries it again later (its rows are still under `from`).
        if (!(error instanceof KeyNotUnwrappedError)) throw error;
        // Damaged, or wrapped by another key than its row says: no key to wrap again. Left as
        // it is (never replaced by a key that would open nothing), and reported.
        unreadable.push(leadId);
        continue;
      }
      leadIds.push(leadId);
      rewrapped.push((await this.wrapper.wrap(key, leadId)).toString('base64'));
    }
    const last = textColumn(rows[rows.length - 1]?.lead_id);
    if (leadIds.length === 0) return { selected: rows.length, rewrapped: 0, last, unreadable };
    // Only rows still wrapped by `from`: a shred in between (NULL) must not be undone, and a
    // row another process rewrapped first keeps its key, so each is counted once.
    const updated = await this.db.query(
      `UPDATE ${this.table} AS t SET wrapped_key = k.wrapped_key, wrapped_by = $3
         FROM unnest($1::text[], $2::text[]) AS k(lead_id, wrapped_key)
        WHERE t.lead_id = k.lead_id AND t.wrapped_by = $4 AND t.wrapped_key IS NOT NULL
        RETURNING t.lead_id`,
      [leadIds, rewrapped, this.wrapper.keyId, from.keyId],
    );
    return { selected: rows.length, rewrapped: updated.length, last, unreadable };
  }

  private async load(leadIds: readonly string[]): Promise<Map<string, LeadKey>> {
    const result = new Map<string, LeadKey>(leadIds.map((leadId) => [leadId, { kind: 'none' }]));
    if (leadIds.length === 0) return result;
    const rows = await this.db.query(
      `SELECT lead_id, wrapped_key, wrapped_by FROM ${this.table} WHERE lead_id = ANY($1::text[])`,
      [leadIds],
    );
    for (const [leadId, key] of await this.keysOf(rows)) result.set(leadId, key);
    return result;
  }

  /** The keys of `personal_data_keys` rows: unwrapped, or shredded where the key is gone. */
  private async keysOf(
    rows: readonly Record<string, unknown>[],
    made: ReadonlyMap<string, { wrapped?: string; key?: Buffer }> = new Map(),
  ): Promise<Map<string, LeadKey>> {
    const result = new Map<string, LeadKey>();
    for (const row of rows) {
      const leadId = textColumn(row.lead_id);
      const ours = made.get(leadId);
      if (ours?.key !== undefined && ours.wrapped === row.wrapped_key) {
        result.set(leadId, { kind: 'key', key: createSecretKey(ours.key) });
        continue;
      }
      result.set(
        leadId,
        row.wrapped_key === null ? { kind: 'shredded' } : await this.unwrapRow(leadId, row),
      );
    }
    return result;
  }

  /**
   * A live row's key; `unreadable` when the row does not unwrap (the unwrapper says so, which
   * stays true), reported once. Any other failure is the key service's, not the row's.
   */
  private async unwrapRow(leadId: string, row: Record<string, unknown>): Promise<LeadKey> {
    const wrapped = Buffer.from(textColumn(row.wrapped_key), 'base64');
    try {
      // A key object once per lead, not per sealed value (see DataKey).
      const key = createSecretKey(await this.unwrapperOf(row).unwrap(wrapped, leadId));
      return { kind: 'key', key: key satisfies KeyObject };
    } catch (error) {
      if (!(error instanceof KeyNotUnwrappedError)) {
        throw new KeyServiceUnavailableError(leadId, error);
      }
      const wrappedBy = typeof row.wrapped_by === 'string' ? row.wrapped_by : null;
      const seen = `${leadId}\u0000${wrappedBy ?? ''}`;
      if (!this.reported.has(seen)) {
        // Bounded like the cache: at worst a lead is reported again after many others.
        if (this.reported.size >= CACHE_LIMIT) this.reported.clear();
        this.reported.add(seen);
        this.onKeyNotUnwrapped(leadId, wrappedBy);
      }
      return { kind: 'unreadable', wrappedBy };
    }
  }

  /** The master key that wrapped a row: the previous one while a rotation is not done. */
  private unwrapperOf(row: Record<string, unknown>): KeyWrapper {
    return this.previous !== null && row.wrapped_by === this.previous.keyId
      ? this.previous
      : this.wrapper;
  }

  private remember(leadId: string, key: DataKey): void {
    if (this.cache.size >= CACHE_LIMIT) {
      const oldest = this.cache.keys().next();
      if (!oldest.done) this.cache.delete(oldest.value);
    }
    this.cache.set(leadId, key);
  }
}
