/**
 * Opening personal data for a reader entitled to it (the lead timeline): the recorded events
 * of one lead with every sealed value decrypted, or shown as erased once the lead's key was
 * shredded. The key is read from the table on each call, never from a cache, so an erasure
 * made by another process is honoured at once.
 * It must never be called on a path whose output reaches analytics, Kafka or a log.
 */
import type { LeadKeyVault, RewrapBatch } from './lead-key.vault';
import { openPersonalData, type PersonalEvent } from './personal-data.codec';

/** One lead's events as a reader is shown them, and whether its key is destroyed. */
export interface OpenedLead<E> {
  readonly events: E[];
  /**
   * True from the moment an erasure shreds the key, which may be before its LeadErased is
   * recorded (a process stopped between the two).
   */
  readonly shredded: boolean;
}

export interface PersonalDataReader {
  /**
   * `events` of the one lead `leadId` (recorded events or decoded envelopes), personal fields
   * opened, or shown as erased once the lead's key is shredded.
   */
  openLeadEvents<E extends PersonalEvent>(leadId: string, events: readonly E[]): Promise<E[]>;
  /** `openLeadEvents`, with whether the key it read is shredded (one read of the key row). */
  openLead<E extends PersonalEvent>(leadId: string, events: readonly E[]): Promise<OpenedLead<E>>;
}

export class VaultPersonalDataReader implements PersonalDataReader {
  constructor(private readonly vault: LeadKeyVault) {}

  async openLeadEvents<E extends PersonalEvent>(
    leadId: string,
    events: readonly E[],
  ): Promise<E[]> {
    return (await this.openLead(leadId, events)).events;
  }

  async openLead<E extends PersonalEvent>(
    leadId: string,
    events: readonly E[],
  ): Promise<OpenedLead<E>> {
    const key = (await this.vault.keysToOpen([leadId])).get(leadId) ?? { kind: 'none' };
    return {
      events: events.map((event) => ({ ...event, data: openPersonalData(event, leadId, key) })),
      shredded: key.kind === 'shredded',
    };
  }
}

/**
 * A master-key rotation in progress (TANDEM_MASTER_KEY_PREVIOUS set): the keys still wrapped by
 * the previous master key, and a batch of them wrapped again by the current one.
 */
export interface MasterKeyRotation {
  keysUnderPrevious(): Promise<number>;
  /**
   * The keys under the previous master key whose lead id sorts after `after` ('' from the
   * first), a batch of them: `last` is where the next batch starts, null once none is left past
   * it; keys that did not unwrap are named in `unreadable` and left as they are. Safe beside
   * other processes doing the same.
   */
  rewrapPrevious(batchSize?: number, after?: string): Promise<RewrapBatch>;
  /**
   * Keys wrapped by neither the current nor the previous master key, which no rotation here
   * takes and neither key opens: how many, and the first `named` leads by id.
   */
  keysUnderOtherMasterKeys(
    named: number,
  ): Promise<{ readonly count: number; readonly leads: readonly string[] }>;
}

/** A store whose appends seal personal data, and which can open it for entitled readers. */
export interface PersonalDataStore {
  readonly personalData: PersonalDataReader;
  /** Null unless a previous master key is configured. */
  readonly keyRotation: MasterKeyRotation | null;
  /**
   * Erasure ahead of its appends: the keys of `leadIds` destroyed at once, all or none, each
   * left a tombstone (a lead never keyed gets one too, so no key is ever made for it). Its
   * values read as erased from now on and nothing personal can be recorded for it
   * (ErasedLeadWriteError), whether or not its LeadErased is appended yet.
   */
  shredLeadKeys(leadIds: readonly string[]): Promise<void>;
}

/** The store's master-key rotation, if it seals personal data and has a previous key. */
export function keyRotationOf(store: object): MasterKeyRotation | null {
  return supportsPersonalData(store) ? (store.keyRotation ?? null) : null;
}

export function supportsPersonalData<S extends object>(store: S): store is S & PersonalDataStore {
  const candidate = (store as Partial<PersonalDataStore>).personalData;
  return typeof candidate === 'object' && candidate !== null;
}
