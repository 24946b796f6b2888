import {
  LeadAlreadyCapturedError,
  LeadMergedAwayError,
  LeadNotFoundError,
  LifecycleViolationError,
  RuleViolationError,
  TouchpointConflictError,
} from '../errors';
import {
  defaultTransitions,
  type LifecycleTransition,
  parseFunnelDefinition,
} from '../rules/funnel-definition';
import { defaultFunnelDefinition } from '../rules/default-funnel-definition';
import { leadDeciderSpecification } from '../testing/lead-decider.given';
import type { LeadCommand, RecordTouchpoint } from './lead.commands';
import { decideLead } from './lead.decider';
import type { LeadEvent } from './lead.events';
import { duplicateMergedIn, evolveLead, initialLeadState, mergeLinks } from './lead.state';

const NOW = '2026-03-10T09:00:00.000Z';
const LEAD = '0190d0b0-0000-7000-8000-000000000001';

/** given events (all at NOW) → when command → then events, or then error. */
const given = leadDeciderSpecification(LEAD, NOW);

const captured: LeadEvent = {
  type: 'LeadCaptured',
  data: {
    contact: { name: 'Giulia Rossi', email: 'giulia@example.com' },
    company: { name: 'Acme', industry: 'software', size: 200, country: 'IT' },
    source: { channel: 'paid_search', campaign: 'q1-search' },
    productInterest: 'funnel_analytics',
    timeframe: '3_months',
    consent: { marketing: true },
  },
};
const profiled: LeadEvent = {
  type: 'LeadProfiled',
  data: {
    industry: null,
    companySize: null,
    country: null,
    role: 'cmo',
    budget: { amount: 20000, currency: 'EUR' },
    timeline: null,
  },
};
const demo: LeadEvent = {
  type: 'TouchpointRecorded',
  data: { touchpointId: 't1', kind: 'demo_request', channel: 'web', campaign: null, content: null },
};
const mql: LeadEvent = {
  type: 'LeadQualifiedAsMql',
  data: { rulesVersion: 1, fitScore: 100, intentScore: 40, score: 76, threshold: 55, reasons: [] },
};
const handed: LeadEvent = {
  type: 'LeadHandedToSales',
  data: { owner: 'marco', team: 'emea', slaDueAt: '2026-03-11T09:00:00.000Z', rulesVersion: 1 },
};
const accepted: LeadEvent = { type: 'LeadAcceptedBySales', data: { owner: 'marco', note: null } };
const rejected: LeadEvent = {
  type: 'LeadRejectedBySales',
  data: { owner: 'marco', reason: 'no_budget', note: null },
};
const sql: LeadEvent = {
  type: 'LeadQualifiedAsSql',
  data: { criteriaMet: ['budget', 'need', 'timeline'], rulesVersion: 1 },
};
const opened: LeadEvent = {
  type: 'OpportunityOpened',
  data: { opportunityId: 'opp-1', stage: 'discovery', amount: 12000, currency: 'EUR' },
};
const erased: LeadEvent = { type: 'LeadErased', data: { reason: 'gdpr request' } };
const merged: LeadEvent = { type: 'LeadMerged', data: { intoLeadId: 'other' } };

describe('Lead decider', () => {
  describe('CaptureLead', () => {
    it('captures a new lead', () => {
      const command = { type: 'CaptureLead', data: captured.data } as LeadCommand;
      given([]).when(command).then([captured]);
    });
    it('carries the visitor ids it stitches (anonymous touches before capture)', () => {
      const data = { ...captured.data, visitorIds: ['v_7f3a9c2e41', 'v_phone_0042'] };
      given([])
        .when({ type: 'CaptureLead', data })
        .then([{ type: 'LeadCaptured', data }]);
    });
    it('refuses to capture the same lead twice, naming it', () => {
      const command = { type: 'CaptureLead', data: captured.data } as LeadCommand;
      given([captured])
        .when(command)
        .thenFails(LeadAlreadyCapturedError, new RegExp(`lead ${LEAD} was already captured`));
    });
    it('refuses to capture an erased lead again as erased, not as captured', () => {
      const command = { type: 'CaptureLead', data: captured.data } as LeadCommand;
      given([captured, erased])
        .when(command)
        .thenFails(LifecycleViolationError, /erased/);
    });
  });

  it('any other command on an unknown lead is LeadNotFound', () => {
    given([])
      .when({ type: 'AcceptLead', data: { note: null } })
      .thenFails(LeadNotFoundError);
  });

  describe('RecordTouchpoint: a touchpoint id is recorded once per lead', () => {
    const record = (data: Partial<RecordTouchpoint['data']> = {}): LeadCommand => ({
      type: 'RecordTouchpoint',
      data: {
        touchpointId: 't1',
        kind: 'demo_request',
        channel: 'web',
        campaign: null,
        content: null,
        ...data,
      },
    });
    it('records a touchpoint whose id the lead has not recorded', () => {
      given([captured]).when(record()).then([demo]);
      given([captured, demo])
        .when(record({ touchpointId: 't2' }))
        .then([{ ...demo, data: { ...demo.data, touchpointId: 't2' } }]);
    });
    it('a retry of a touch already recorded decides nothing', () => {
      given([captured, demo]).when(record()).then([]);
      // Content is sealed in the store: a sealed content and the retried text are the same touch.
      const sealed = { ...demo, data: { ...demo.data, content: { $pii: 'c2VhbGVk' } } };
      given([captured, sealed])
        .when(record({ content: 'the whitepaper' }))
        .then([]);
    });
    it('a retry in NFC of a touch recorded decomposed, before text was taken in NFC, is the same touch', () => {
      const decomposed = {
        ...demo,
        data: { ...demo.data, channel: 'Cafe\u0301', campaign: 'e\u0301t\u00e9' },
      };
      given([captured, decomposed])
        .when(record({ channel: 'Caf\u00e9', campaign: '\u00e9t\u00e9' }))
        .then([]);
    });
    it('other facts under a recorded id are refused, naming the id and what differs', () => {
      given([captured, demo])
        .when(record({ kind: 'webinar', campaign: 'spring' }))
        .thenFails(
          TouchpointConflictError,
          /touchpoint t1 was already recorded on this lead with kind demo_request, campaign none/,
        );
      given([captured, demo])
        .when(record({ content: 'notes' }))
        .thenFails(TouchpointConflictError, /with no content/);
    });
    it('a merged-away lead answers a retry of a touch it holds, and still refuses a new one', () => {
      // The retry goes where the client first sent it: refused, it would be re-sent to the
      // survivor and counted there a second time.
      given([captured, demo, merged]).when(record()).then([]);
      given([captured, demo, merged])
        .when(record({ channel: 'email' }))
        .thenFails(TouchpointConflictError, /touchpoint t1 was already recorded .* channel web/);
      given([captured, demo, merged])
        .when(record({ touchpointId: 't2' }))
        .thenFails(LeadMergedAwayError, /merged into lead other; act on that one/);
      given([captured, demo, merged, erased])
        .when(record())
        .thenFails(LifecycleViolationError, /erased/);
    });
    it('a survivor answers a retry of a touch its duplicate held, and counts it nowhere (ADR 0016)', () => {
      const duplicate = [captured, demo].reduce(
        (s, e) => evolveLead(s, e, NOW),
        initialLeadState(),
      );
      const mergedIn = duplicateMergedIn('dup', evolveLead(duplicate, merged, NOW));
      expect(mergedIn.data).toEqual({
        mergedLeadId: 'dup',
        touchpoints: [
          {
            touchpointId: 't1',
            kind: 'demo_request',
            channel: 'web',
            campaign: null,
            contentGiven: false,
          },
        ],
      });
      given([captured, mergedIn]).when(record()).then([]);
      given([captured, mergedIn])
        .when(record({ channel: 'email' }))
        .thenFails(TouchpointConflictError, /touchpoint t1 was already recorded .* channel web/);
      given([captured, mergedIn])
        .when(record({ touchpointId: 't2' }))
        .then([{ type: 'TouchpointRecorded', data: { ...demo.data, touchpointId: 't2' } }]);
      // Not a touch of the survivor: scoring never sees it, and a chain of merges carries it on.
      const survivor = [captured, mergedIn].reduce(
        (s, e) => evolveLead(s, e, NOW),
        initialLeadState(),
      );
      expect(survivor.facts.touchpoints).toEqual([]);
      expect(survivor.status).toBe('nurturing');
      expect(duplicateMergedIn('survivor', survivor).data.touchpoints).toEqual(
        mergedIn.data.touchpoints,
      );
      given([captured, mergedIn, erased])
        .when(record())
        .thenFails(LifecycleViolationError, /erased/);
    });
    it('stored duplicates (recorded before this rule) still fold as they did', () => {
      const state = [captured, demo, demo].reduce(
        (s, e) => evolveLead(s, e, NOW),
        initialLeadState(),
      );
      expect(state.facts.touchpoints).toHaveLength(2);
    });
  });

  describe('QualifyLeadAsMql', () => {
    const qualify: LeadCommand = { type: 'QualifyLeadAsMql', data: {} };
    it('qualifies a fitting lead with intent, recording the rules version and scores', () => {
      const events = given([captured, profiled, demo]).when(qualify);
      events.then([
        {
          type: 'LeadQualifiedAsMql',
          data: {
            rulesVersion: 1,
            fitScore: 100,
            intentScore: 40,
            score: 76,
            threshold: 55,
            reasons: ['score 76 meets threshold 55 (fit 100, intent 40)'],
          },
        },
      ]);
    });
    it('refuses a lead below the threshold, saying why', () => {
      given([captured])
        .when(qualify)
        .thenFails(RuleViolationError, /MQL criteria of rules version 1/);
    });
    it('refuses a lead with a required field missing even above the threshold', () => {
      const noTimeframe: LeadEvent = {
        type: 'LeadCaptured',
        data: { ...(captured.data as object), timeframe: null } as never,
      };
      try {
        given([noTimeframe, profiled, demo]).when(qualify).then([]);
        throw new Error('expected a rule violation');
      } catch (error) {
        expect(error).toBeInstanceOf(RuleViolationError);
        expect((error as RuleViolationError).reasons[0]).toBe('missing required fields: timeframe');
      }
    });
    it('uses the active definition: a stricter threshold refuses the same lead', () => {
      const strict = {
        ...defaultFunnelDefinition,
        version: 2,
        mql: { ...defaultFunnelDefinition.mql, threshold: 90 },
      };
      given([captured, profiled, demo], strict)
        .when(qualify)
        .thenFails(RuleViolationError, /version 2/);
    });
    it('refuses a lead that is already an MQL', () => {
      given([captured, mql]).when(qualify).thenFails(LifecycleViolationError);
    });
  });

  describe('HandLeadToSales', () => {
    const hand: LeadCommand = { type: 'HandLeadToSales', data: { owner: 'marco', team: 'emea' } };
    it('hands an MQL to sales with the SLA due time from the dictionary', () => {
      given([captured, mql]).when(hand).then([handed]);
    });
    it('refuses a lead that is not an MQL', () => {
      given([captured])
        .when(hand)
        .thenFails(LifecycleViolationError, /only an MQL/);
    });
  });

  describe('AcceptLead / RejectLead', () => {
    it('accepts a handed-over lead for its owner', () => {
      given([captured, mql, handed])
        .when({ type: 'AcceptLead', data: { note: null } })
        .then([accepted]);
    });
    it('rejects with a reason from the shared list', () => {
      given([captured, mql, handed])
        .when({ type: 'RejectLead', data: { reason: 'no_budget', note: null } })
        .then([rejected]);
    });
    it('refuses a rejection reason outside the shared list', () => {
      given([captured, mql, handed])
        .when({ type: 'RejectLead', data: { reason: 'dont_like_marketing', note: null } })
        .thenFails(RuleViolationError, /not in the shared list/);
    });
    it('refuses to accept a lead never handed to sales', () => {
      given([captured, mql])
        .when({ type: 'AcceptLead', data: { note: null } })
        .thenFails(LifecycleViolationError);
    });
  });

  describe('a rejected lead can only be recycled', () => {
    const rejectedLead = [captured, mql, handed, rejected];
    it.each<LeadCommand>([
      { type: 'AcceptLead', data: { note: null } },
      { type: 'QualifyLeadAsSql', data: { criteriaMet: ['budget', 'need', 'timeline'] } },
      { type: 'QualifyLeadAsMql', data: {} },
      { type: 'HandLeadToSales', data: { owner: 'x', team: null } },
    ])('refuses $type', (command) => {
      given(rejectedLead).when(command).thenFails(LifecycleViolationError);
    });
    it('recycles it back to nurturing', () => {
      given(rejectedLead)
        .when({ type: 'RecycleLead', data: { reason: 'try again next quarter' } })
        .then([
          { type: 'LeadRecycled', data: { from: 'rejected', reason: 'try again next quarter' } },
        ]);
    });
    it('a recycled lead can qualify again', () => {
      const recycled: LeadEvent = { type: 'LeadRecycled', data: { from: 'rejected', reason: 'r' } };
      const events = given([...rejectedLead, profiled, demo, recycled]);
      events
        .when({ type: 'QualifyLeadAsMql', data: {} })
        .then([expect.objectContaining({ type: 'LeadQualifiedAsMql' }) as LeadEvent]);
    });
  });

  describe('QualifyLeadAsSql', () => {
    const qualify: LeadCommand = {
      type: 'QualifyLeadAsSql',
      data: { criteriaMet: ['timeline', 'budget', 'need'] },
    };
    it('no SQL before sales accepted the lead', () => {
      given([captured, mql, handed])
        .when(qualify)
        .thenFails(LifecycleViolationError, /accept the lead before SQL/);
    });
    it('qualifies an accepted lead meeting enough criteria (sorted, with the version)', () => {
      given([captured, mql, handed, accepted]).when(qualify).then([sql]);
    });
    it('refuses too few criteria', () => {
      given([captured, mql, handed, accepted])
        .when({ type: 'QualifyLeadAsSql', data: { criteriaMet: ['budget'] } })
        .thenFails(RuleViolationError, /at least 3/);
    });
    it('refuses unknown criteria', () => {
      given([captured, mql, handed, accepted])
        .when({ type: 'QualifyLeadAsSql', data: { criteriaMet: ['budget', 'need', 'vibes'] } })
        .thenFails(RuleViolationError, /unknown SQL criteria: vibes/);
    });
  });

  describe('opportunities and deals', () => {
    const open: LeadCommand = {
      type: 'OpenOpportunity',
      data: { opportunityId: 'opp-1', stage: 'discovery', amount: 12000, currency: 'EUR' },
    };
    const toSql = [captured, mql, handed, accepted, sql];
    it('opens an opportunity for an SQL', () => {
      given(toSql).when(open).then([opened]);
    });
    it('the open opportunity opened again under its id is a retry: nothing to write', () => {
      given([...toSql, opened])
        .when(open)
        .then([]);
      // A second opportunity (another id) is still refused while one is open.
      given([...toSql, opened])
        .when({ ...open, data: { ...open.data, opportunityId: 'opp-2' } })
        .thenFails(LifecycleViolationError, /opportunity opens only for an SQL/);
    });
    it('refuses an opportunity before SQL', () => {
      given([captured, mql, handed, accepted]).when(open).thenFails(LifecycleViolationError);
    });
    it('refuses an unknown opportunity stage', () => {
      given(toSql)
        .when({ ...open, data: { ...open.data, stage: 'dreaming' } })
        .thenFails(RuleViolationError);
    });
    it('moves the opportunity between stages, keeping the amount unless given', () => {
      given([...toSql, opened])
        .when({ type: 'ChangeOpportunityStage', data: { to: 'proposal', amount: null } })
        .then([
          {
            type: 'OpportunityStageChanged',
            data: { opportunityId: 'opp-1', from: 'discovery', to: 'proposal', amount: 12000 },
          },
        ]);
    });
    it('no DealWon without an open opportunity', () => {
      given(toSql)
        .when({ type: 'WinDeal', data: { amount: null } })
        .thenFails(LifecycleViolationError, /no open opportunity/);
    });
    it('wins the open opportunity at its amount', () => {
      given([...toSql, opened])
        .when({ type: 'WinDeal', data: { amount: null } })
        .then([
          { type: 'DealWon', data: { opportunityId: 'opp-1', amount: 12000, currency: 'EUR' } },
        ]);
    });
    it('loses with a loss reason from the shared list', () => {
      given([...toSql, opened])
        .when({ type: 'LoseDeal', data: { reason: 'price', note: 'too expensive' } })
        .then([
          {
            type: 'DealLost',
            data: { opportunityId: 'opp-1', reason: 'price', note: 'too expensive' },
          },
        ]);
      given([...toSql, opened])
        .when({ type: 'LoseDeal', data: { reason: 'astrology', note: null } })
        .thenFails(RuleViolationError);
    });
    it('a won deal cannot be won again', () => {
      const won: LeadEvent = {
        type: 'DealWon',
        data: { opportunityId: 'opp-1', amount: 1, currency: 'EUR' },
      };
      given([...toSql, opened, won])
        .when({ type: 'WinDeal', data: { amount: null } })
        .thenFails(LifecycleViolationError);
    });
  });

  describe('business time runs forward along the lifecycle', () => {
    const HANDED_AT = '2026-03-10T09:00:00.000Z';
    /** The lead as handed to sales at HANDED_AT (captured and qualified the day before). */
    const handedLead = [captured, demo, profiled, mql].reduce(
      (state, event) => evolveLead(state, event, '2026-03-09T09:00:00.000Z'),
      initialLeadState(),
    );
    const handedState = evolveLead(handedLead, handed, HANDED_AT);
    const decideAt = (command: LeadCommand, now: string) =>
      decideLead(command, handedState, { leadId: LEAD, definition: defaultFunnelDefinition, now });
    const accept: LeadCommand = { type: 'AcceptLead', data: { note: null } };

    it('refuses an acceptance dated before the hand-off, naming occurredAt', () => {
      expect(() => decideAt(accept, '2026-03-05T09:00:00.000Z')).toThrow(RuleViolationError);
      expect(() => decideAt(accept, '2026-03-10T08:59:59.999Z')).toThrow(
        /occurredAt 2026-03-10T08:59:59.999Z is before the lead's last stage change at 2026-03-10T09:00:00.000Z/,
      );
    });

    it('accepts one at the very instant of the hand-off, or after', () => {
      expect(decideAt(accept, HANDED_AT)).toEqual([
        { type: 'LeadAcceptedBySales', data: { owner: 'marco', note: null } },
      ]);
      expect(decideAt(accept, '2026-03-11T09:00:00.000Z')).toHaveLength(1);
    });

    it('still takes a touchpoint or a profile fact reported late', () => {
      const late = '2026-03-01T09:00:00.000Z';
      const touch: LeadCommand = {
        type: 'RecordTouchpoint',
        data: {
          touchpointId: 't9',
          kind: 'webinar',
          channel: 'web',
          campaign: null,
          content: null,
        },
      };
      expect(decideAt(touch, late)).toHaveLength(1);
      expect(decideAt({ type: 'ProfileLead', data: profiled.data }, late)).toHaveLength(1);
    });
  });

  describe('merge and erasure', () => {
    it('nothing is accepted after LeadErased', () => {
      given([captured, erased])
        .when({
          type: 'RecordTouchpoint',
          data: {
            touchpointId: 't2',
            kind: 'demo_request',
            channel: 'web',
            campaign: null,
            content: null,
          },
        })
        .thenFails(LifecycleViolationError, /erased/);
    });
    it('erasing an erased lead again is the success it was: nothing to write', () => {
      given([captured, erased])
        .when({ type: 'EraseLead', data: { reason: 'again' } })
        .then([]);
    });
    it("keeps the merges' links through erasure: the person's leads stay findable", () => {
      const intoThis = duplicateMergedIn('dup', evolveLead(initialLeadState(), merged, NOW));
      const survivor = [captured, intoThis, erased].reduce(
        (s, e) => evolveLead(s, e, NOW),
        initialLeadState(),
      );
      expect(survivor.status).toBe('erased');
      expect(mergeLinks(survivor)).toEqual(['dup']);
      const away = [captured, merged, erased].reduce(
        (s, e) => evolveLead(s, e, NOW),
        initialLeadState(),
      );
      expect(mergeLinks(away)).toEqual(['other']);
      expect(away.facts).toEqual(initialLeadState().facts);
    });
    it('a merged lead accepts only erasure', () => {
      given([captured, merged])
        .when({ type: 'QualifyLeadAsMql', data: {} })
        .thenFails(LifecycleViolationError, /merged/);
      given([captured, merged])
        .when({ type: 'EraseLead', data: { reason: 'gdpr request' } })
        .then([erased]);
    });
    it('the same merge again is a retry: nothing to write; into another lead it is refused', () => {
      given([captured, merged])
        .when({ type: 'MergeLead', data: { intoLeadId: 'other' } })
        .then([]);
      given([captured, merged])
        .when({ type: 'MergeLead', data: { intoLeadId: 'a-third-lead' } })
        .thenFails(LeadMergedAwayError);
    });
    it('a lead cannot be merged into itself', () => {
      given([captured])
        .when({ type: 'MergeLead', data: { intoLeadId: LEAD } })
        .thenFails(RuleViolationError);
    });
  });

  describe('transitions come from the definition in force', () => {
    /** A valid definition, version 2, whose graph replaces the default entries for the given statuses. */
    const withTransitions = (...changed: LifecycleTransition[]) =>
      parseFunnelDefinition({
        ...defaultFunnelDefinition,
        version: 2,
        transitions: [
          ...defaultTransitions.filter((t) => !changed.some((c) => c.from === t.from)),
          ...changed,
        ],
      });
    const recycle: LeadCommand = { type: 'RecycleLead', data: { reason: 'next quarter' } };
    const hand: LeadCommand = { type: 'HandLeadToSales', data: { owner: 'marco', team: 'emea' } };

    it('a refusal names the rules version and where the lead may go', () => {
      given([captured, mql, handed])
        .when({ type: 'QualifyLeadAsSql', data: { criteriaMet: ['budget', 'need', 'timeline'] } })
        .thenFails(
          LifecycleViolationError,
          /rules version 1 allows handed_to_sales → accepted, rejected/,
        );
      given([captured, mql])
        .when(recycle)
        .then([{ type: 'LeadRecycled', data: { from: 'mql', reason: 'next quarter' } }]);
      given([captured])
        .when(recycle)
        .thenFails(LifecycleViolationError, /rules version 1 allows nurturing → mql/);
    });

    it('a definition without rejected → nurturing refuses to recycle a rejected lead', () => {
      // Rejected must lead somewhere (only won and lost may be final): here, to another owner.
      const reroute = withTransitions({ from: 'rejected', to: ['handed_to_sales'] });
      given([captured, mql, handed, rejected], reroute)
        .when(recycle)
        .thenFails(LifecycleViolationError, /rules version 2 allows rejected → handed_to_sales/);
      given([captured, mql, handed, rejected], reroute)
        .when({ type: 'HandLeadToSales', data: { owner: 'anna', team: 'dach' } })
        .then([
          {
            type: 'LeadHandedToSales',
            data: {
              owner: 'anna',
              team: 'dach',
              slaDueAt: '2026-03-11T09:00:00.000Z',
              rulesVersion: 2,
            },
          },
        ]);
    });

    it('a definition with nurturing → handed_to_sales hands a lead over without MQL', () => {
      const fastLane = withTransitions({ from: 'nurturing', to: ['mql', 'handed_to_sales'] });
      given([captured], fastLane)
        .when(hand)
        .then([
          {
            type: 'LeadHandedToSales',
            data: {
              owner: 'marco',
              team: 'emea',
              slaDueAt: '2026-03-11T09:00:00.000Z',
              rulesVersion: 2,
            },
          },
        ]);
      given([captured, mql, handed, accepted], fastLane)
        .when(hand)
        .thenFails(
          LifecycleViolationError,
          /only a lead in nurturing or an MQL can be handed to sales \(rules version 2 allows accepted → sql, nurturing\)/,
        );
    });

    it('sales accept or reject only a lead with an owner, whatever the graph allows', () => {
      const skipHandOff = withTransitions({
        from: 'mql',
        to: ['handed_to_sales', 'accepted', 'nurturing'],
      });
      given([captured, mql], skipHandOff)
        .when({ type: 'AcceptLead', data: { note: null } })
        .thenFails(LifecycleViolationError, /no owner in sales/);
    });

    it('a definition where lost is final refuses to recycle a lost deal', () => {
      const lostIsFinal = parseFunnelDefinition({
        ...defaultFunnelDefinition,
        version: 3,
        transitions: defaultTransitions.filter((t) => t.from !== 'lost'),
      });
      const lost: LeadEvent = {
        type: 'DealLost',
        data: { opportunityId: 'opp-1', reason: 'price', note: null },
      };
      given([captured, mql, handed, accepted, sql, opened, lost], lostIsFinal)
        .when(recycle)
        .thenFails(LifecycleViolationError, /rules version 3 allows no transition from lost/);
    });
  });
});
