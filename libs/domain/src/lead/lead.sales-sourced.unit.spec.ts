/**
 * The sales-sourced entry path (ADR 0008), given/when/then: a lead that reaches sales without an
 * MQL is recorded as such, only where the dictionary declares the path and only from nurturing.
 */
import { LifecycleViolationError, RuleViolationError } from '../errors';
import { defaultFunnelDefinition } from '../rules/default-funnel-definition';
import { parseFunnelDefinition } from '../rules/funnel-definition';
import { leadDeciderSpecification } from '../testing/lead-decider.given';
import type { LeadCommand } from './lead.commands';
import type { LeadEvent } from './lead.events';

const NOW = '2026-03-10T09:00:00.000Z';
const LEAD = '0190d0b0-0000-7000-8000-0000000000a1';

/** given events (all at NOW) → when command → then events, or then error. */
const given = leadDeciderSpecification(LEAD, NOW);

const captured: LeadEvent = {
  type: 'LeadCaptured',
  data: {
    contact: { name: 'Anna Weber', email: 'anna@example.com' },
    company: { name: 'Weber GmbH', industry: 'manufacturing', size: 400, country: 'DE' },
    source: { channel: 'trade_fair', campaign: 'hannover-messe' },
    productInterest: null,
    timeframe: null,
    consent: { marketing: false },
  },
};
const mql: LeadEvent = {
  type: 'LeadQualifiedAsMql',
  data: { rulesVersion: 1, fitScore: 100, intentScore: 40, score: 76, threshold: 55, reasons: [] },
};
const direct: LeadCommand = {
  type: 'HandLeadToSalesDirectly',
  data: { owner: 'marco', team: 'emea', source: 'event_contact' },
};
const handedDirectly: LeadEvent = {
  type: 'LeadHandedToSales',
  data: {
    owner: 'marco',
    team: 'emea',
    slaDueAt: '2026-03-11T09:00:00.000Z',
    rulesVersion: 1,
    path: 'sales_sourced',
    salesSource: 'event_contact',
  },
};
/** The shipped dictionary without the sales-sourced section: the marketing path only. */
const { salesSourced: _omitted, ...withoutPath } = defaultFunnelDefinition;
const marketingOnly = parseFunnelDefinition({ ...withoutPath, version: 7 });

describe('HandLeadToSalesDirectly (sales-sourced path)', () => {
  it('hands a captured lead to sales without an MQL, recording the path and the source', () => {
    // Not an MQL: no contact data a marketing rule would need, no intent at all.
    given([captured]).when(direct).then([handedDirectly]);
  });

  it('the lead then follows the sales stages like any handed-over lead', () => {
    given([captured, handedDirectly])
      .when({ type: 'AcceptLead', data: { note: null } })
      .then([{ type: 'LeadAcceptedBySales', data: { owner: 'marco', note: null } }]);
  });

  it('refuses a source that is not in the shared list, naming the list', () => {
    given([captured])
      .when({ ...direct, data: { ...direct.data, source: 'cold_call' } })
      .thenFails(
        RuleViolationError,
        /cold_call is not in the shared list \(event_contact, referral/,
      );
  });

  it('refuses it under rules that do not declare the path', () => {
    given([captured], marketingOnly)
      .when(direct)
      .thenFails(RuleViolationError, /rules version 7 has no sales-sourced path/);
  });

  it('an MQL goes on the marketing path instead', () => {
    given([captured, mql])
      .when(direct)
      .thenFails(LifecycleViolationError, /marketing path \(HandLeadToSales\)/);
  });

  it('a lead already in sales cannot enter sales again', () => {
    given([captured, handedDirectly])
      .when(direct)
      .thenFails(LifecycleViolationError, /only a lead in nurturing/);
  });

  it('a sales-sourced lead rejected and recycled can come back on either path', () => {
    const back: LeadEvent[] = [
      captured,
      handedDirectly,
      { type: 'LeadRejectedBySales', data: { owner: 'marco', reason: 'too_early', note: null } },
      { type: 'LeadRecycled', data: { from: 'rejected', reason: 'nurture again' } },
    ];
    given(back).when(direct).then([handedDirectly]);
  });

  it('the marketing hand-off still needs an MQL: the new path opens no shortcut for it', () => {
    given([captured])
      .when({ type: 'HandLeadToSales', data: { owner: 'marco', team: 'emea' } })
      .thenFails(LifecycleViolationError, /only an MQL/);
  });
});

describe('the salesSourced section of the dictionary', () => {
  it('is optional: without it a definition is what it was before the path existed', () => {
    expect(marketingOnly.salesSourced).toBeUndefined();
  });

  it('needs somewhere for the lead to go from handed_to_sales', () => {
    const transitions = defaultFunnelDefinition.transitions.filter(
      (t) => t.from !== 'handed_to_sales',
    );
    // No other entry names handed_to_sales once mql stops moving there.
    const cut = transitions.map((t) =>
      t.from === 'mql' ? { from: t.from, to: ['nurturing'] } : t,
    );
    expect(() => parseFunnelDefinition({ ...defaultFunnelDefinition, transitions: cut })).toThrow(
      /salesSourced: a sales-sourced lead enters at handed_to_sales/,
    );
  });

  it('refuses duplicate source codes', () => {
    const sources = [
      { code: 'referral', label: 'Referral' },
      { code: 'referral', label: 'Again' },
    ];
    expect(() =>
      parseFunnelDefinition({
        ...defaultFunnelDefinition,
        salesSourced: { label: 'Direct', sources },
      }),
    ).toThrow(/salesSourced\.sources/);
  });
});
