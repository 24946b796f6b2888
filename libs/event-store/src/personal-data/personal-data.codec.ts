/**
 * Sealing and opening the personal fields of one event (the list: personalFields in
 * libs/domain). Sealing turns each non-blank plain string into `{ "$pii": "v1:…" }`; blank
 * text carries nothing and stays as it is, so "was it given" reads the same sealed or not.
 * Opening turns each sealed value back into text, or into ERASED_VALUE when the lead's key
 * was shredded, or WITHHELD_VALUE when its key does not unwrap here. Plain values (events recorded before sealing existed) pass through both ways.
 * It must never open a value with another lead's key: the key map is looked up by lead id and
 * the cipher's additional data binds lead, type and field.
 */
import { ERASED_VALUE, isSealedValue, mapPersonalFields, WITHHELD_VALUE } from '@tandem/domain';
import type { LeadKey } from './lead-key.vault';
import { openText, sealText } from './personal-data.cipher';

/** Something sealed had to be recorded for a lead whose key is shredded. */
export class ErasedLeadWriteError extends Error {
  constructor(readonly leadId: string) {
    super(`lead ${leadId} was erased: no personal data can be recorded for it`);
    this.name = 'ErasedLeadWriteError';
  }
}

/**
 * Something sealed had to be recorded for a lead whose key row does not unwrap (damaged, or
 * wrapped under a master key this process does not hold). Refused rather than sealed under a
 * fresh key: that would replace the row an operator can still restore (docs/personal-data.md).
 */
export class LeadKeyUnreadableError extends Error {
  constructor(
    readonly leadId: string,
    readonly wrappedBy: string | null,
  ) {
    super(
      `the personal data key of lead ${leadId} does not unwrap here (wrapped by master key ${wrappedBy ?? 'unknown'}): no personal value can be recorded for it until its key row is restored (docs/personal-data.md)`,
    );
    this.name = 'LeadKeyUnreadableError';
  }
}

export interface PersonalEvent {
  readonly type: string;
  /** The version `data` is recorded at: a field a later version made personal stays plain. */
  readonly schemaVersion?: number;
  readonly data: Readonly<Record<string, unknown>>;
}

/** Whether an event has a non-blank plain personal value, i.e. needs its lead's key to seal. */
export function hasPlainPersonalData(event: PersonalEvent): boolean {
  let found = false;
  mapPersonalFields(
    event.type,
    event.data,
    (value) => {
      if (typeof value === 'string' && value.trim() !== '') found = true;
      return value;
    },
    event.schemaVersion,
  );
  return found;
}

export function sealPersonalData(
  event: PersonalEvent,
  leadId: string,
  key: LeadKey,
): Record<string, unknown> {
  return mapPersonalFields(
    event.type,
    event.data,
    (value, field) => {
      if (typeof value !== 'string' || value.trim() === '') return value;
      if (key.kind === 'unreadable') throw new LeadKeyUnreadableError(leadId, key.wrappedBy);
      if (key.kind !== 'key') throw new ErasedLeadWriteError(leadId);
      return { $pii: sealText(key.key, value, { leadId, eventType: event.type, field }) };
    },
    event.schemaVersion,
  );
}

export function openPersonalData(
  event: PersonalEvent,
  leadId: string,
  key: LeadKey,
): Record<string, unknown> {
  return mapPersonalFields(event.type, event.data, (value, field) => {
    if (!isSealedValue(value)) return value;
    if (key.kind === 'unreadable') return WITHHELD_VALUE;
    // A sealed value with no key row at all cannot have been sealed here: treat as erased
    // rather than guess (a restored database without its key table reads like this).
    if (key.kind !== 'key') return ERASED_VALUE;
    return openText(key.key, value.$pii, { leadId, eventType: event.type, field });
  });
}
