/**
 * Opening personal data for a reader entitled to it (the lead timeline): the recorded events
 * of one lead with every sealed value decrypted, or shown as erased once the lead's key was
 * shredded. The key is read from the table on each call, never from a cache, so an erasure
 * made by another process is honoured at once.
 * It must never be called on a path whose output reaches analytics, Kafka or a log.
 */
import type { RecordedEvent } from '../event-store.port';
import type { LeadKeyVault } from './lead-key.vault';
import { openPersonalData } from './personal-data.codec';

export interface PersonalDataReader {
  /** `events` of the one lead `leadId`, personal fields opened (or erased). */
  openLeadEvents(leadId: string, events: readonly RecordedEvent[]): Promise<RecordedEvent[]>;
}

export class VaultPersonalDataReader implements PersonalDataReader {
  constructor(private readonly vault: LeadKeyVault) {}

  async openLeadEvents(leadId: string, events: readonly RecordedEvent[]): Promise<RecordedEvent[]> {
    const key = (await this.vault.keysToOpen([leadId])).get(leadId) ?? { kind: 'none' };
    return events.map((event) => ({ ...event, data: openPersonalData(event, leadId, key) }));
  }
}

/** A store whose appends seal personal data, and which can open it for entitled readers. */
export interface PersonalDataStore {
  readonly personalData: PersonalDataReader;
}

export function supportsPersonalData<S extends object>(store: S): store is S & PersonalDataStore {
  const candidate = (store as Partial<PersonalDataStore>).personalData;
  return typeof candidate === 'object' && candidate !== null;
}
