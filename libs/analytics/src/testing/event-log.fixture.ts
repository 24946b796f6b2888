/**
 * Test support: builds recorded envelopes the way the event store would (one global order,
 * per-stream revisions, deterministic ids and times), so specs state scenarios as plain
 * given-events lists. Deterministic on purpose: the same scenario gives the same envelopes, so
 * byte-for-byte comparisons of query output are meaningful. Never used outside tests.
 */
import type { Actor, Envelope, LeadEvent, PlanningEvent, VisitorEvent } from '@tandem/domain';
import type { AnyEnvelope } from '../projection/lead-event.row';

const BASE_TIME = Date.UTC(2025, 0, 6, 9, 0, 0);
const MINUTE = 60_000;

export const fixtureEventId = (position: number): string =>
  `01940000-0000-7000-8000-${position.toString(16).padStart(12, '0')}`;

export interface EventLog {
  /** Appends a lead event; returns its envelope. */
  lead(leadId: string, event: LeadEvent, options?: { accountId?: string }): Envelope<LeadEvent>;
  /** Appends a planning event (its own stream, no lead). */
  planning(streamId: string, event: PlanningEvent): Envelope<PlanningEvent>;
  /** Appends an anonymous visitor's event (stream visitor-<id>, no lead). */
  visitor(event: VisitorEvent): Envelope<VisitorEvent>;
  readonly envelopes: readonly AnyEnvelope[];
}

export function createEventLog(options: { firstPosition?: number } = {}): EventLog {
  const envelopes: AnyEnvelope[] = [];
  const revisions = new Map<string, number>();
  let position = options.firstPosition ?? 1;

  const meta = (streamId: string, actor: Actor) => {
    const streamRevision = revisions.get(streamId) ?? 0;
    revisions.set(streamId, streamRevision + 1);
    const at = new Date(BASE_TIME + position * MINUTE).toISOString();
    const base = {
      eventId: fixtureEventId(position),
      schemaVersion: 1,
      occurredAt: at,
      recordedAt: at,
      correlationId: `correlation-${position}`,
      causationId: null,
      actor,
      streamId,
      streamRevision,
      globalPosition: String(position),
    };
    position += 1;
    return base;
  };

  return {
    lead(leadId, event, { accountId } = {}) {
      const envelope: Envelope<LeadEvent> = {
        ...meta(`lead-${leadId}`, { kind: 'user', id: 'user-1', role: 'marketing' }),
        leadId,
        accountId: accountId ?? null,
        ...event,
      };
      envelopes.push(envelope);
      return envelope;
    },
    planning(streamId, event) {
      const envelope: Envelope<PlanningEvent> = {
        ...meta(streamId, { kind: 'user', id: 'user-1', role: 'ops' }),
        leadId: null,
        accountId: null,
        ...event,
      };
      envelopes.push(envelope);
      return envelope;
    },
    visitor(event) {
      const envelope: Envelope<VisitorEvent> = {
        ...meta(`visitor-${event.data.visitorId}`, {
          kind: 'user',
          id: 'user-1',
          role: 'marketing',
        }),
        leadId: null,
        accountId: null,
        ...event,
      };
      envelopes.push(envelope);
      return envelope;
    },
    envelopes,
  };
}

/** Event bodies with sensible defaults, so scenarios read as the lead's story. */
export const leadEvent = {
  captured: (channel: string, campaign: string | null): LeadEvent => ({
    type: 'LeadCaptured',
    data: {
      contact: { name: 'Ada Lovelace', email: 'ada@example.com', phone: '+44 20 7946 0000' },
      company: { name: 'Analytical Engines Ltd', industry: 'software', size: 40, country: 'GB' },
      source: { channel, campaign: campaign ?? undefined, medium: 'cpc', content: undefined },
      productInterest: 'fleet',
      timeframe: 'q1',
      consent: { marketing: true },
    },
  }),
  touchpoint: (touchpointId: string, channel: string): LeadEvent => ({
    type: 'TouchpointRecorded',
    data: { touchpointId, kind: 'webinar', channel, campaign: null, content: null },
  }),
  mql: (): LeadEvent => ({
    type: 'LeadQualifiedAsMql',
    data: {
      rulesVersion: 1,
      fitScore: 80,
      intentScore: 60,
      score: 70,
      threshold: 50,
      reasons: ['fit'],
    },
  }),
  handed: (owner: string): LeadEvent => ({
    type: 'LeadHandedToSales',
    data: { owner, team: 'emea', slaDueAt: '2025-01-10T09:00:00.000Z', rulesVersion: 1 },
  }),
  accepted: (owner: string): LeadEvent => ({
    type: 'LeadAcceptedBySales',
    data: { owner, note: 'spoke to Ada on her mobile' },
  }),
  rejected: (owner: string, reason: string): LeadEvent => ({
    type: 'LeadRejectedBySales',
    data: { owner, reason, note: 'Ada said call back next year' },
  }),
  sql: (): LeadEvent => ({
    type: 'LeadQualifiedAsSql',
    data: { criteriaMet: ['budget', 'need'], rulesVersion: 1 },
  }),
  opened: (opportunityId: string, amount: number, currency: string): LeadEvent => ({
    type: 'OpportunityOpened',
    data: { opportunityId, stage: 'discovery', amount, currency },
  }),
  stageChanged: (opportunityId: string, from: string, to: string, amount: number): LeadEvent => ({
    type: 'OpportunityStageChanged',
    data: { opportunityId, from, to, amount },
  }),
  won: (opportunityId: string, amount: number, currency: string): LeadEvent => ({
    type: 'DealWon',
    data: { opportunityId, amount, currency },
  }),
  lost: (opportunityId: string, reason: string): LeadEvent => ({
    type: 'DealLost',
    data: { opportunityId, reason, note: 'Ada chose a competitor' },
  }),
  recycled: (from: string): LeadEvent => ({
    type: 'LeadRecycled',
    data: { from, reason: 'Ada asked us to wait' },
  }),
  merged: (intoLeadId: string): LeadEvent => ({ type: 'LeadMerged', data: { intoLeadId } }),
  erased: (): LeadEvent => ({ type: 'LeadErased', data: { reason: 'request by Ada Lovelace' } }),
};

/** `items` in consecutive batches of `size` (the last one shorter): a log projected batch by batch. */
export const batches = <T>(items: readonly T[], size: number): T[][] =>
  Array.from({ length: Math.ceil(items.length / size) }, (_, i) =>
    items.slice(i * size, i * size + size),
  );
