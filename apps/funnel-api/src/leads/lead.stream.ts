/**
 * Loading a lead: read its stream, decode, fold with the domain's evolve. Returns
 * the revision read, so the append that follows can insist nothing changed since.
 */
import { decodeStoredEvent, type LeadEnvelope } from '@tandem/contracts';
import {
  evolveLead,
  initialLeadState,
  leadEventTypes,
  leadStreamId,
  type LeadEvent,
  type LeadState,
} from '@tandem/domain';
import type { EventStore } from '@tandem/event-store';

export interface LoadedLead {
  readonly state: LeadState;
  /** Revision of the last event, `null` when the stream does not exist. */
  readonly revision: bigint | null;
  readonly accountId: string | null;
  readonly envelopes: readonly LeadEnvelope[];
}

const isLeadEvent = (type: string): type is LeadEvent['type'] =>
  (leadEventTypes as readonly string[]).includes(type);

export async function loadLead(store: EventStore, leadId: string): Promise<LoadedLead> {
  const recorded = await store.readStream(leadStreamId(leadId));
  let state = initialLeadState();
  let accountId: string | null = null;
  const envelopes: LeadEnvelope[] = [];
  for (const record of recorded) {
    const decoded = decodeStoredEvent(record);
    // A stored event that no longer decodes is corruption, not user error: fail loudly.
    if (!decoded.ok)
      throw new Error(`lead ${leadId}: undecodable event ${record.eventId}: ${decoded.reason}`);
    const envelope = decoded.envelope;
    if (!isLeadEvent(envelope.type)) continue;
    const leadEnvelope = envelope as LeadEnvelope;
    state = evolveLead(state, leadEnvelope, leadEnvelope.occurredAt);
    accountId = accountId ?? leadEnvelope.accountId;
    envelopes.push(leadEnvelope);
  }
  const last = recorded.at(-1);
  return { state, revision: last ? last.streamRevision : null, accountId, envelopes };
}
