/**
 * A lead's timeline: its events in order with their envelopes, personal fields opened for the
 * caller (the one read path that decrypts; which roles may call it is the controller's rule).
 * Once the lead is erased its key is shredded and every personal field reads `[erased]`; events
 * recorded before sealing existed hold plain values, which are blanked here the same way
 * (they cannot be shredded: ADR 0009). That covers a LeadCaptured v1's UTM content too: its
 * envelope is upcast to v2, where `source.content` is personal.
 */
import { Inject } from '@nestjs/common';
import { Query, QueryHandler, type IQueryHandler } from '@nestjs/cqrs';
import type { LeadEnvelope } from '@tandem/contracts';
import { ERASED_VALUE, LeadNotFoundError, mapPersonalFields } from '@tandem/domain';
import { type EventStore, supportsPersonalData } from '@tandem/event-store';
import { EVENT_STORE } from '../platform/tokens';
import { loadLead } from './lead.stream';

export interface LeadTimeline {
  readonly leadId: string;
  readonly status: string;
  readonly revision: number;
  readonly events: readonly LeadEnvelope[];
}

export class GetLeadTimeline extends Query<LeadTimeline> {
  constructor(readonly leadId: string) {
    super();
  }
}

/** The status shown while a lead's key is destroyed and its LeadErased is not recorded yet. */
export const ERASURE_IN_PROGRESS = 'erasure_in_progress';

function erase(envelope: LeadEnvelope): LeadEnvelope {
  const data = mapPersonalFields(envelope.type, envelope.data, () => ERASED_VALUE);
  return { ...envelope, data } as LeadEnvelope;
}

@QueryHandler(GetLeadTimeline)
export class GetLeadTimelineHandler implements IQueryHandler<GetLeadTimeline> {
  constructor(@Inject(EVENT_STORE) private readonly store: EventStore) {}

  async execute({ leadId }: GetLeadTimeline): Promise<LeadTimeline> {
    const lead = await loadLead(this.store, leadId);
    if (lead.revision === null) throw new LeadNotFoundError(leadId);
    // Values were sealed under the lead id the envelopes carry (bound into the cipher's
    // additional data), which is the one to open them with, whatever form the caller used.
    const sealedFor = lead.envelopes[0]?.leadId ?? leadId;
    const opened = supportsPersonalData(this.store)
      ? await this.store.personalData.openLead(sealedFor, lead.envelopes)
      : { events: lead.envelopes, shredded: false };
    // Its key destroyed but its LeadErased not recorded yet (an erasure stopped between the
    // two): not a live lead any more, whatever its last event says, until a retry records it.
    const erasing = lead.state.status !== 'erased' && opened.shredded;
    return {
      leadId,
      status: erasing ? ERASURE_IN_PROGRESS : lead.state.status,
      revision: Number(lead.revision),
      events: lead.state.status === 'erased' ? opened.events.map(erase) : opened.events,
    };
  }
}
