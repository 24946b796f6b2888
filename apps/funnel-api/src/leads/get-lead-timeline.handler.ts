/**
 * A lead's timeline: its events in order with their envelopes. After LeadErased
 * the contact details are redacted here; the analytics never held them.
 */
import { Inject } from '@nestjs/common';
import { Query, QueryHandler, type IQueryHandler } from '@nestjs/cqrs';
import type { LeadEnvelope } from '@tandem/contracts';
import { LeadNotFoundError } from '@tandem/domain';
import type { EventStore } from '@tandem/event-store';
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

const REDACTED = '[erased]';

function redact(envelope: LeadEnvelope): LeadEnvelope {
  if (envelope.type !== 'LeadCaptured') return envelope;
  return {
    ...envelope,
    data: { ...envelope.data, contact: { name: REDACTED, email: REDACTED } },
  };
}

@QueryHandler(GetLeadTimeline)
export class GetLeadTimelineHandler implements IQueryHandler<GetLeadTimeline> {
  constructor(@Inject(EVENT_STORE) private readonly store: EventStore) {}

  async execute({ leadId }: GetLeadTimeline): Promise<LeadTimeline> {
    const lead = await loadLead(this.store, leadId);
    if (lead.revision === null) throw new LeadNotFoundError(leadId);
    const erased = lead.state.status === 'erased';
    return {
      leadId,
      status: lead.state.status,
      revision: Number(lead.revision),
      events: erased ? lead.envelopes.map(redact) : lead.envelopes,
    };
  }
}
