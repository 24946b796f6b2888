/**
 * Valid lead events to append straight into a store, for pipeline tests that
 * need thousands of events fast. Each lead: captured → touchpoint → MQL →
 * handed to sales → accepted → opportunity → won, or rejected, by index.
 */
import { randomUUID } from 'node:crypto';
import { encodeForStore, type TandemEvent } from '@tandem/contracts';
import type { EventToAppend } from '@tandem/event-store';

export interface Journey {
  readonly leadId: string;
  readonly events: EventToAppend[];
  readonly won: number;
  readonly rejected: boolean;
}

export function leadJourney(index: number, channel = 'paid_search'): Journey {
  const leadId = randomUUID();
  const rejected = index % 3 === 0;
  const won = rejected ? 0 : 1000 + index;
  const at = (minutes: number) => new Date(Date.UTC(2026, 0, 5, 9, minutes)).toISOString();
  const story: TandemEvent[] = [
    {
      type: 'LeadCaptured',
      data: {
        contact: { name: `Lead ${index}`, email: `lead${index}@example.com` },
        company: { name: `Company ${index}`, industry: 'software', size: 100, country: 'IT' },
        source: { channel, campaign: `campaign-${index % 4}` },
        productInterest: 'lead_scoring',
        timeframe: '3_months',
        consent: { marketing: true },
      },
    },
    {
      type: 'TouchpointRecorded',
      data: {
        touchpointId: randomUUID(),
        kind: 'demo_request',
        channel,
        campaign: null,
        content: null,
      },
    },
    {
      type: 'LeadQualifiedAsMql',
      data: {
        rulesVersion: 1,
        fitScore: 100,
        intentScore: 40,
        score: 76,
        threshold: 55,
        reasons: [],
      },
    },
    {
      type: 'LeadHandedToSales',
      data: { owner: `owner-${index % 5}`, team: 'emea', slaDueAt: at(60 * 24), rulesVersion: 1 },
    },
  ];
  if (rejected) {
    story.push({
      type: 'LeadRejectedBySales',
      data: { owner: `owner-${index % 5}`, reason: 'no_budget', note: null },
    });
  } else {
    const opportunityId = randomUUID();
    story.push(
      { type: 'LeadAcceptedBySales', data: { owner: `owner-${index % 5}`, note: null } },
      {
        type: 'LeadQualifiedAsSql',
        data: { criteriaMet: ['budget', 'need', 'timeline'], rulesVersion: 1 },
      },
      {
        type: 'OpportunityOpened',
        data: { opportunityId, stage: 'discovery', amount: won, currency: 'EUR' },
      },
      { type: 'DealWon', data: { opportunityId, amount: won, currency: 'EUR' } },
    );
  }
  const events = story.map((event, step) => leadEventToAppend(leadId, event, at(step)));
  return { leadId, events, won, rejected };
}

/** One event of `leadId` enveloped as a command appends it, with fresh ids. */
export function leadEventToAppend(
  leadId: string,
  event: TandemEvent,
  occurredAt = new Date().toISOString(),
): EventToAppend {
  return encodeForStore(event, {
    eventId: randomUUID(),
    leadId,
    accountId: null,
    occurredAt,
    correlationId: randomUUID(),
    causationId: null,
    actor: { kind: 'system', id: 'pipeline-test', role: 'system' },
  });
}
