/**
 * A lead's state, folded from its events. Only what decisions need: lifecycle
 * status, the facts scoring reads, the owner and the open opportunity.
 */
import type { TouchpointKind } from '../rules/funnel-definition';
import type { LeadFacts } from '../rules/scoring';
import type { DuplicateMergedIn, LeadEvent, MergedTouchpoint } from './lead.events';
import { isPersonalGiven } from './lead.personal-data';

/** What the state keeps for a given name or e-mail: that it was given, never the value. */
const PERSONAL_GIVEN = 'given';

export type LeadStatus =
  | 'initial'
  | 'nurturing'
  | 'mql'
  | 'handed_to_sales'
  | 'accepted'
  | 'rejected'
  | 'sql'
  | 'opportunity'
  | 'won'
  | 'lost'
  | 'merged'
  | 'erased';

/**
 * A touchpoint as the state keeps it: what scoring reads (kind, time) and what tells a retry
 * of it from a different touch under the same id (channel, campaign, whether content was
 * given — the content itself is sealed in the store, so only its presence is comparable).
 * One entry per touch, in the facts' own list: remembering ids costs no second copy per event.
 */
export interface RecordedTouchpoint {
  readonly touchpointId: string;
  readonly kind: TouchpointKind;
  readonly occurredAt: string;
  readonly channel: string;
  readonly campaign: string | null;
  readonly contentGiven: boolean;
}

/** The facts scoring reads, with each touch as the state keeps it. */
export interface LeadStateFacts extends LeadFacts {
  readonly touchpoints: readonly RecordedTouchpoint[];
}

export interface LeadState {
  readonly status: LeadStatus;
  readonly facts: LeadStateFacts;
  readonly owner: string | null;
  /** The survivor a merge pointed this lead at (status `merged`), else null. */
  readonly mergedInto: string | null;
  /**
   * Touches of the leads merged into this one (DuplicateMergedIn, ADR 0016): read by the
   * touchpoint rule only, never by scoring — they count on the lead that recorded them.
   */
  readonly mergedTouchpoints: readonly MergedTouchpoint[];
  /**
   * The leads merged into this one (each DuplicateMergedIn's `mergedLeadId`, in order). With
   * `mergedInto` they link the leads a merge said are one person, which an erasure erases
   * together; both outlive the lead's own erasure (ids, not personal data).
   */
  readonly mergedIn: readonly string[];
  /**
   * Business time of the last event that moved the lead along its lifecycle (its capture, a
   * stage change, an opportunity's stage): no later lifecycle fact may be dated before it.
   */
  readonly stageSince: string | null;
  readonly opportunity: {
    readonly id: string;
    readonly stage: string;
    readonly amount: number;
    readonly currency: string;
  } | null;
}

export function initialLeadState(): LeadState {
  return {
    status: 'initial',
    facts: {
      name: null,
      email: null,
      productInterest: null,
      timeframe: null,
      industry: null,
      companySize: null,
      country: null,
      role: null,
      touchpoints: [],
    },
    owner: null,
    mergedInto: null,
    mergedTouchpoints: [],
    mergedIn: [],
    stageSince: null,
    opportunity: null,
  };
}

/** `occurredAt` is the event's business time; intent decay needs it for touchpoints. */
export function evolveLead(state: LeadState, event: LeadEvent, occurredAt: string): LeadState {
  switch (event.type) {
    case 'LeadCaptured': {
      const { data } = event;
      return {
        ...state,
        status: 'nurturing',
        stageSince: occurredAt,
        facts: {
          ...state.facts,
          // Presence only: the rules need whether a name and an e-mail were given, and a
          // state folded from sealed events must decide exactly as one folded from plain.
          name: isPersonalGiven(data.contact.name) ? PERSONAL_GIVEN : null,
          email: isPersonalGiven(data.contact.email) ? PERSONAL_GIVEN : null,
          productInterest: data.productInterest,
          timeframe: data.timeframe,
          industry: data.company.industry ?? null,
          companySize: data.company.size ?? null,
          country: data.company.country ?? null,
        },
      };
    }
    case 'TouchpointRecorded':
      return {
        ...state,
        facts: {
          ...state.facts,
          touchpoints: [
            ...state.facts.touchpoints,
            {
              touchpointId: event.data.touchpointId,
              kind: event.data.kind,
              occurredAt,
              channel: event.data.channel,
              campaign: event.data.campaign,
              contentGiven: isPersonalGiven(event.data.content),
            },
          ],
        },
      };
    case 'LeadProfiled': {
      const { data } = event;
      return {
        ...state,
        facts: {
          ...state.facts,
          industry: data.industry ?? state.facts.industry,
          companySize: data.companySize ?? state.facts.companySize,
          country: data.country ?? state.facts.country,
          role: data.role ?? state.facts.role,
          timeframe: data.timeline ?? state.facts.timeframe,
        },
      };
    }
    case 'LeadQualifiedAsMql':
      return { ...state, status: 'mql', stageSince: occurredAt };
    case 'LeadHandedToSales':
      return {
        ...state,
        status: 'handed_to_sales',
        owner: event.data.owner,
        stageSince: occurredAt,
      };
    case 'LeadAcceptedBySales':
      return { ...state, status: 'accepted', stageSince: occurredAt };
    case 'LeadRejectedBySales':
      return { ...state, status: 'rejected', stageSince: occurredAt };
    case 'LeadQualifiedAsSql':
      return { ...state, status: 'sql', stageSince: occurredAt };
    case 'OpportunityOpened':
      return {
        ...state,
        status: 'opportunity',
        stageSince: occurredAt,
        opportunity: {
          id: event.data.opportunityId,
          stage: event.data.stage,
          amount: event.data.amount,
          currency: event.data.currency,
        },
      };
    case 'OpportunityStageChanged':
      return state.opportunity === null
        ? state
        : {
            ...state,
            stageSince: occurredAt,
            opportunity: { ...state.opportunity, stage: event.data.to, amount: event.data.amount },
          };
    case 'DealWon':
      return { ...state, status: 'won', stageSince: occurredAt };
    case 'DealLost':
      return { ...state, status: 'lost', stageSince: occurredAt };
    case 'LeadRecycled':
      return {
        ...state,
        status: 'nurturing',
        owner: null,
        opportunity: null,
        stageSince: occurredAt,
      };
    case 'LeadMerged':
      return { ...state, status: 'merged', mergedInto: event.data.intoLeadId };
    case 'DuplicateMergedIn':
      return {
        ...state,
        mergedTouchpoints: [...state.mergedTouchpoints, ...event.data.touchpoints],
        mergedIn: [...state.mergedIn, event.data.mergedLeadId],
      };
    case 'LeadErased':
      return {
        ...initialLeadState(),
        status: 'erased',
        mergedInto: state.mergedInto,
        mergedIn: state.mergedIn,
      };
  }
}

/**
 * The leads a merge linked to this one, either way: the one it was merged into and those merged
 * into it. Their closure is one person's leads (ADR 0016), which an erasure erases together.
 */
export function mergeLinks(state: LeadState): string[] {
  return state.mergedInto === null ? [...state.mergedIn] : [state.mergedInto, ...state.mergedIn];
}

/**
 * The survivor's fact of merging `mergedLeadId`, whose state is `merged`, into it: every touch
 * that lead holds, its own and those merged into it before, so a chain of merges still
 * recognises a touch at its end (ADR 0016).
 */
export function duplicateMergedIn(mergedLeadId: string, merged: LeadState): DuplicateMergedIn {
  const own = merged.facts.touchpoints.map(
    ({ touchpointId, kind, channel, campaign, contentGiven }): MergedTouchpoint => ({
      touchpointId,
      kind,
      channel,
      campaign,
      contentGiven,
    }),
  );
  return {
    type: 'DuplicateMergedIn',
    data: { mergedLeadId, touchpoints: [...own, ...merged.mergedTouchpoints] },
  };
}
