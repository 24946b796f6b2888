/**
 * The core of sla-watch, pure: which leads sit with sales unanswered, and which
 * of those missed their SLA. State is a fold over lead events (`evolveSlaWatch`),
 * so it is rebuilt from the topic on every start instead of living in timers;
 * `due(state, now)` says what to escalate at a given instant.
 *
 * Notifications carry a key that makes delivering them idempotent: the hand-off
 * event id for a hand-off notice, `${leadId}:${slaDueAt}` for an escalation (a
 * new hand-off with a new SLA is a new escalation). This module must never read
 * a clock, do I/O, or copy PII (the contact of a lead) into a notification.
 */
import type { TandemEnvelope } from '@tandem/contracts';

export interface PendingHandOff {
  readonly leadId: string;
  readonly owner: string;
  readonly team: string | null;
  readonly handedOffAt: string;
  readonly slaDueAt: string;
}

export interface SlaWatch {
  /** By lead id: hand-offs that sales has neither accepted nor rejected yet. */
  readonly pending: ReadonlyMap<string, PendingHandOff>;
}

export interface HandOffNotice extends PendingHandOff {
  readonly kind: 'hand-off';
  readonly key: string;
}

export interface SlaEscalation extends PendingHandOff {
  readonly kind: 'sla-missed';
  readonly key: string;
}

export type Notification = HandOffNotice | SlaEscalation;

export const initialSlaWatch = (): SlaWatch => ({ pending: new Map() });

export const escalationKey = (leadId: string, slaDueAt: string): string => `${leadId}:${slaDueAt}`;

function withPending(state: SlaWatch, leadId: string, handOff: PendingHandOff | null): SlaWatch {
  if (handOff === null && !state.pending.has(leadId)) return state;
  const pending = new Map(state.pending);
  if (handOff) pending.set(leadId, handOff);
  else pending.delete(leadId);
  return { pending };
}

export function evolveSlaWatch(state: SlaWatch, event: TandemEnvelope): SlaWatch {
  if (event.leadId === null) return state;
  switch (event.type) {
    case 'LeadHandedToSales':
      // A second hand-off (after a recycle) replaces the first, with its own SLA.
      return withPending(state, event.leadId, {
        leadId: event.leadId,
        owner: event.data.owner,
        team: event.data.team,
        handedOffAt: event.occurredAt,
        slaDueAt: event.data.slaDueAt,
      });
    case 'LeadAcceptedBySales':
    case 'LeadRejectedBySales':
    case 'LeadRecycled':
    case 'LeadMerged':
    case 'LeadErased':
      return withPending(state, event.leadId, null);
    // Listed, not defaulted: a new event type must make someone decide whether it ends a hand-off.
    case 'LeadCaptured':
    case 'TouchpointRecorded':
    // The survivor's record of a duplicate merged in: its hand-off, if any, goes on.
    case 'DuplicateMergedIn':
    case 'LeadProfiled':
    case 'LeadQualifiedAsMql':
    case 'LeadQualifiedAsSql':
    case 'OpportunityOpened':
    case 'OpportunityStageChanged':
    case 'DealWon':
    case 'DealLost':
    case 'TargetSet':
    case 'CampaignSpendRecorded':
    case 'AnonymousTouchpointRecorded':
      return state;
    // The SLA in force is the one stamped on the hand-off: the API computes `slaDueAt` from
    // the definition active at that moment (FunnelDefinitionActivated; the latest published on
    // legacy streams without an activation). Re-deriving it here from the definitions stream
    // would be a second source of truth, and a later publication or activation must not move
    // a deadline already given to sales.
    case 'FunnelDefinitionPublished':
    case 'FunnelDefinitionActivated':
      return state;
  }
}

/** The notice owed for an event, if any: one per hand-off, keyed by its event id. */
export function handOffNotice(event: TandemEnvelope): HandOffNotice | null {
  if (event.type !== 'LeadHandedToSales' || event.leadId === null) return null;
  return {
    kind: 'hand-off',
    key: event.eventId,
    leadId: event.leadId,
    owner: event.data.owner,
    team: event.data.team,
    handedOffAt: event.occurredAt,
    slaDueAt: event.data.slaDueAt,
  };
}

/** Pending hand-offs whose SLA is over at `now` (epoch ms), oldest deadline first. */
export function due(state: SlaWatch, now: number): SlaEscalation[] {
  return [...state.pending.values()]
    .filter((handOff) => Date.parse(handOff.slaDueAt) <= now)
    .sort(
      (a, b) => Date.parse(a.slaDueAt) - Date.parse(b.slaDueAt) || (a.leadId < b.leadId ? -1 : 1),
    )
    .map((handOff) => ({
      kind: 'sla-missed',
      key: escalationKey(handOff.leadId, handOff.slaDueAt),
      ...handOff,
    }));
}
