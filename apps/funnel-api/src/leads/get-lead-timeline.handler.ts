/**
 * A lead's timeline: its events in order with their envelopes, personal fields opened for the
 * caller (the one read path that decrypts; which roles may call it is the controller's rule).
 * Once the lead is erased its key is shredded and every personal field reads `[erased]`; events
 * recorded before sealing existed hold plain values, which are blanked here the same way
 * (they cannot be shredded: ADR 0009).
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

function erase(envelope: LeadEnvelope): LeadEnvelope {
  const data = mapPersonalFields(envelope.type, envelope.data, () => ERASED_VALUE);
  return { ...envelope, data: blankUtmContent(envelope.type, data) } as LeadEnvelope;
}

/**
 * A capture's UTM content names the person as often as not (mail tools put the recipient's
 * address there), but LeadCaptured v1 declares it plain, so it is not sealed and no key
 * shreds it: an erased lead's timeline blanks it here, as it blanks values recorded before
 * sealing. Its bytes stay in the store and on Kafka until a new LeadCaptured version seals it
 * (ADR 0009); ClickHouse no longer copies it.
 */
function blankUtmContent(type: string, data: Record<string, unknown>): Record<string, unknown> {
  const source = data.source;
  if (type !== 'LeadCaptured' || typeof source !== 'object' || source === null) return data;
  const content = (source as Record<string, unknown>).content;
  if (content === undefined || content === null) return data;
  return { ...data, source: { ...source, content: ERASED_VALUE } };
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
      ? await this.store.personalData.openLeadEvents(sealedFor, lead.envelopes)
      : lead.envelopes;
    return {
      leadId,
      status: lead.state.status,
      revision: Number(lead.revision),
      events: lead.state.status === 'erased' ? opened.map(erase) : opened,
    };
  }
}
