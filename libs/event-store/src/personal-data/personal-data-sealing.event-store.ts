/**
 * The EventStore decorator that makes "personal data is encrypted in the store and on Kafka"
 * true for every writer: commands, bulk import, anything appending through the port the
 * factory builds. On append it seals the personal fields of lead events with the lead's key;
 * on LeadErased it seals first, then shreds the key, then appends, so the erasure is final
 * even if the append then fails (a retry appends LeadErased; readers already show erased).
 * A new lead's first personal values are sealed under a fresh key that the store records in the
 * append's own transaction, where it can (LeadKeyAppender: PostgreSQL, PGlite): no statement of
 * its own, and never events committed without their key.
 * Reads pass through untouched: the relay, the projector and every consumer see ciphertext;
 * only a reader holding the vault opens values (personal-data.reader.ts).
 * It must never write a plain personal value of a lead event, nor decrypt on a read path.
 */
import type {
  AppendOptions,
  AppendResult,
  BulkAppender,
  BulkAppendResult,
  BulkEvent,
  EventStore,
  EventToAppend,
  ExpectedRevision,
  MultiStreamAppendResult,
  ReadAllOptions,
  ReadStreamOptions,
  RecordedEvent,
  StreamAppend,
  SubscribeOptions,
  Subscription,
} from '../event-store.port';
import { supportsBulkAppend } from '../event-store.port';
import { supportsApiKeys } from '../api-keys/api-key-store.port';
import { supportsLogSliceExport } from '../log-slices/log-slice-export.port';
import {
  type IdempotencyStore,
  type IdempotentEventStore,
  supportsIdempotency,
} from '../idempotency/idempotency-store.port';
import type { LeadKeyVault } from './lead-key.vault';
import { type LeadKeyAppender, LeadKeyExistsError } from './lead-key-append.port';
import { hasPlainPersonalData, type PersonalEvent, sealPersonalData } from './personal-data.codec';
import {
  type MasterKeyRotation,
  type PersonalDataReader,
  type PersonalDataStore,
  VaultPersonalDataReader,
} from './personal-data.reader';

const LEAD_ERASED = 'LeadErased';

/** The lead an event belongs to: its envelope's `leadId`, absent for definitions and plans. */
function leadIdOf(event: EventToAppend): string | null {
  const leadId = event.metadata.leadId;
  return typeof leadId === 'string' && leadId !== '' ? leadId : null;
}

/** Whether an event needs its lead's key to be sealed. */
function needsKey(event: EventToAppend): boolean {
  return leadIdOf(event) !== null && hasPlainPersonalData(event);
}

/** Opens the vault on first use, so a process that never appends nor opens needs no key. */
export type VaultSource = () => Promise<LeadKeyVault>;

class PersonalDataSealingEventStore implements EventStore, PersonalDataStore {
  readonly personalData: PersonalDataReader;
  /** Set by `sealingPersonalData` while a previous master key is configured. */
  keyRotation: MasterKeyRotation | null = null;

  constructor(
    protected readonly inner: EventStore,
    protected readonly vault: VaultSource,
    /** The inner store, when it can record a new key with an append (same database). */
    private readonly keyAppender: LeadKeyAppender | undefined,
  ) {
    this.personalData = {
      openLeadEvents: async <E extends PersonalEvent>(leadId: string, events: readonly E[]) =>
        new VaultPersonalDataReader(await vault()).openLeadEvents(leadId, events),
      openLead: async <E extends PersonalEvent>(leadId: string, events: readonly E[]) =>
        new VaultPersonalDataReader(await vault()).openLead(leadId, events),
    };
  }

  get checkpoints() {
    return this.inner.checkpoints;
  }

  init(): Promise<void> {
    return this.inner.init();
  }

  async append(
    streamId: string,
    events: readonly EventToAppend[],
    options: AppendOptions,
  ): Promise<AppendResult> {
    // A conditional append (ADR 0015) takes the plain path: the key's statement has no conditions.
    const plain = options.conditions === undefined || options.conditions.length === 0;
    if (this.keyAppender !== undefined && plain && options.expectedRevision === 'no_stream') {
      const appended = await this.appendUnderNewKey(this.keyAppender, streamId, events, options);
      if (appended !== null) return appended;
    }
    const sealed = await this.seal(events);
    for (const event of events) {
      const leadId = leadIdOf(event);
      if (event.type === LEAD_ERASED && leadId !== null) await (await this.vault()).shred(leadId);
    }
    return this.inner.append(streamId, sealed, options);
  }

  /** Every stream's events sealed in one go; an erasure among them shreds first, as `append` does. */
  async appendToStreams(appends: readonly StreamAppend[]): Promise<MultiStreamAppendResult> {
    const sealed = await this.seal(appends.flatMap(({ events }) => events));
    const erased = sealed.filter((event) => event.type === LEAD_ERASED).map(leadIdOf);
    await this.shredLeadKeys(erased.filter((leadId) => leadId !== null));
    let next = 0;
    return this.inner.appendToStreams(
      appends.map((append) => {
        const events = sealed.slice(next, next + append.events.length);
        next += append.events.length;
        return { ...append, events };
      }),
    );
  }

  /**
   * The keys of leads about to be erased, destroyed now in one statement (PersonalDataStore):
   * for an erasure whose events take more than one append, so a crash between them leaves
   * nothing of the person readable, only LeadErased events a retry records.
   */
  async shredLeadKeys(leadIds: readonly string[]): Promise<void> {
    if (leadIds.length > 0) await (await this.vault()).shredAll(leadIds);
  }

  readStream(streamId: string, options?: ReadStreamOptions): Promise<RecordedEvent[]> {
    return this.inner.readStream(streamId, options);
  }

  readAll(options?: ReadAllOptions): Promise<RecordedEvent[]> {
    return this.inner.readAll(options);
  }

  /** A merge names ids only: nothing to open. */
  readMergesInto(leadId: string): Promise<RecordedEvent[]> {
    return this.inner.readMergesInto(leadId);
  }

  headPosition(): Promise<bigint | null> {
    return this.inner.headPosition();
  }

  subscribeToAll(options: SubscribeOptions): Subscription {
    return this.inner.subscribeToAll(options);
  }

  close(): Promise<void> {
    return this.inner.close();
  }

  /**
   * A new stream whose personal values all belong to one lead this process holds no key for:
   * a capture, nearly always, whose lead has no key yet. Its values are sealed under a fresh
   * key that the store inserts in the append's transaction (grouped with other appends), in
   * place of a statement of its own before the append. `null` when this does not apply, or when
   * the lead turned out to have a row (a key, or an erasure's tombstone): then nothing was
   * written, and the caller seals with what the vault holds.
   */
  private async appendUnderNewKey(
    appender: LeadKeyAppender,
    streamId: string,
    events: readonly EventToAppend[],
    options: { readonly expectedRevision: ExpectedRevision },
  ): Promise<AppendResult | null> {
    const leads = new Set(events.filter(needsKey).map((event) => leadIdOf(event) as string));
    const [leadId] = leads;
    if (leadId === undefined || leads.size > 1) return null;
    if (events.some((event) => event.type === LEAD_ERASED)) return null;
    const vault = await this.vault();
    if (vault.cachedKey(leadId) !== undefined) return null;
    const { key, row } = await vault.newKey(leadId);
    const sealed = events.map((event) =>
      leadIdOf(event) === leadId
        ? { ...event, data: sealPersonalData(event, leadId, { kind: 'key', key }) }
        : event,
    );
    try {
      const result = await appender.appendWithNewKey(streamId, sealed, options, row);
      vault.adopt(leadId, key);
      return result;
    } catch (error) {
      if (error instanceof LeadKeyExistsError) return null;
      throw error;
    }
  }

  /** Seals every event of the batch, fetching (or making) all its leads' keys in one go. */
  protected async seal(events: readonly EventToAppend[]): Promise<EventToAppend[]> {
    const needKeys = events.filter(
      (event) => leadIdOf(event) !== null && hasPlainPersonalData(event),
    );
    if (needKeys.length === 0) return [...events];
    const keys = await (
      await this.vault()
    ).keysToSeal(needKeys.map((event) => leadIdOf(event) as string));
    return events.map((event) => {
      const leadId = leadIdOf(event);
      const key = leadId === null ? undefined : keys.get(leadId);
      if (leadId === null || key === undefined) return event;
      return { ...event, data: sealPersonalData(event, leadId, key) };
    });
  }
}

class BulkPersonalDataSealingEventStore
  extends PersonalDataSealingEventStore
  implements BulkAppender
{
  constructor(
    inner: EventStore & BulkAppender,
    vault: VaultSource,
    keyAppender: LeadKeyAppender | undefined,
    private readonly bulk: BulkAppender,
  ) {
    super(inner, vault, keyAppender);
  }

  async appendToNewStreams(events: readonly BulkEvent[]): Promise<BulkAppendResult> {
    const sealed = await this.seal(events.map(({ event }) => event));
    for (const event of events) {
      const leadId = leadIdOf(event.event);
      if (event.event.type === LEAD_ERASED && leadId !== null) {
        await (await this.vault()).shred(leadId);
      }
    }
    return this.bulk.appendToNewStreams(
      events.map(({ streamId }, i) => ({ streamId, event: sealed[i] as EventToAppend })),
    );
  }
}

/**
 * Wraps `inner` so every append seals personal data. The result keeps exactly the optional
 * capabilities of `inner` (bulk append, idempotency, API keys, log slices), so `supportsBulkAppend`,
 * `supportsIdempotency` and `supportsApiKeys` answer for the wrapper as for the adapter.
 * `keyAppender`: only when the vault's key table is in the database `inner` appends to.
 */
export function sealingPersonalData(
  inner: EventStore,
  vault: VaultSource,
  keyAppender?: LeadKeyAppender,
  /** A previous master key is configured: the store offers its rotation (`keyRotation`). */
  rotating = false,
): EventStore & PersonalDataStore {
  const store = supportsBulkAppend(inner)
    ? new BulkPersonalDataSealingEventStore(inner, vault, keyAppender, inner)
    : new PersonalDataSealingEventStore(inner, vault, keyAppender);
  if (rotating) {
    store.keyRotation = {
      keysUnderPrevious: async () => (await vault()).keysUnderPrevious(),
      rewrapPrevious: async (batchSize, after) => (await vault()).rewrapPrevious(batchSize, after),
      keysUnderOtherMasterKeys: async (named) => (await vault()).keysUnderOtherMasterKeys(named),
    };
  }
  if (supportsIdempotency(inner)) {
    // The fenced append runs inside `inner.append`, which receives sealed events already.
    const idempotency: IdempotencyStore = inner.idempotency;
    const withIdempotency: IdempotentEventStore = { idempotency };
    Object.defineProperty(store, 'idempotency', { value: withIdempotency.idempotency });
  }
  // Keys are not events: nothing to seal, the adapter's store is handed on as it is.
  if (supportsApiKeys(inner)) Object.defineProperty(store, 'apiKeys', { value: inner.apiKeys });
  // Slices carry the events as stored, personal data sealed: handed on as they are.
  if (supportsLogSliceExport(inner)) {
    Object.defineProperty(store, 'logSlices', { value: inner.logSlices });
  }
  return store;
}
