import type { LeadEvent } from '../lead/lead.events';
import { defaultFunnelDefinition } from './default-funnel-definition';
import { classifyLead, type LeadHistoryEvent, salesEntryPath } from './rule-classification';

const DAY0 = '2026-03-01T09:00:00.000Z';
const DAY1 = '2026-03-02T09:00:00.000Z';
const DAY2 = '2026-03-03T09:00:00.000Z';
const DAY3 = '2026-03-04T09:00:00.000Z';

// Fit 80 under the default definition (industry, size, country, product; no role): score 48.
const captured = (email = 'giulia@example.com'): LeadEvent => ({
  type: 'LeadCaptured',
  data: {
    contact: { name: 'Giulia Rossi', email },
    company: { name: 'Acme', industry: 'software', size: 200, country: 'IT' },
    source: { channel: 'paid_search' },
    productInterest: 'funnel_analytics',
    timeframe: '3_months',
    consent: { marketing: true },
  },
});
const touchpoint = (kind: 'page_view' | 'demo_request'): LeadEvent => ({
  type: 'TouchpointRecorded',
  data: { touchpointId: `t-${kind}`, kind, channel: 'web', campaign: null, content: null },
});
const erased: LeadEvent = { type: 'LeadErased', data: { reason: 'gdpr request' } };
const merged: LeadEvent = { type: 'LeadMerged', data: { intoLeadId: 'other' } };
const accepted: LeadEvent = { type: 'LeadAcceptedBySales', data: { owner: 'marco', note: null } };

const at = (occurredAt: string, event: LeadEvent): LeadHistoryEvent => ({ event, occurredAt });

/** Captured, a page view, then a demo request that lifts intent to 40 + a decayed 3. */
const qualifyingHistory: LeadHistoryEvent[] = [
  at(DAY0, captured()),
  at(DAY1, touchpoint('page_view')),
  at(DAY2, touchpoint('demo_request')),
  at(DAY3, touchpoint('page_view')),
];

describe('classifyLead', () => {
  it('given a lead that crosses the threshold, then it qualifies at the touchpoint that pushed it over', () => {
    expect(classifyLead(defaultFunnelDefinition, qualifyingHistory)).toEqual({
      mql: true,
      mqlAt: DAY2,
      fitScore: 80,
      intentScore: 42.93,
      score: 65.17,
    });
  });

  it('given a lead that never qualifies, then it carries the scores of its last evaluation', () => {
    const history = [at(DAY0, captured()), at(DAY1, touchpoint('page_view'))];
    expect(classifyLead(defaultFunnelDefinition, history)).toEqual({
      mql: false,
      mqlAt: null,
      fitScore: 80,
      intentScore: 3,
      score: 49.2,
    });
  });

  it('given no events, then nothing qualifies and every score is 0', () => {
    expect(classifyLead(defaultFunnelDefinition, [])).toEqual({
      mql: false,
      mqlAt: null,
      fitScore: 0,
      intentScore: 0,
      score: 0,
    });
  });

  it('given a lead without an email, then it never qualifies, whatever its score', () => {
    const history = [at(DAY0, captured('')), at(DAY1, touchpoint('demo_request'))];
    expect(classifyLead(defaultFunnelDefinition, history)).toEqual({
      mql: false,
      mqlAt: null,
      fitScore: 80,
      intentScore: 40,
      score: 64,
    });
  });

  it.each([
    ['erased', erased],
    ['merged', merged],
  ])('given a lead %s, then nothing after it is evaluated', (_, ending) => {
    const history = [
      at(DAY0, captured()),
      at(DAY1, ending),
      // Without the stop these would rebuild qualifying facts.
      at(DAY2, captured()),
      at(DAY2, touchpoint('demo_request')),
    ];
    expect(classifyLead(defaultFunnelDefinition, history)).toEqual({
      mql: false,
      mqlAt: null,
      fitScore: 80,
      intentScore: 0,
      score: 48,
    });
  });

  it('ignores any other lifecycle status: a lead already with sales is still classified', () => {
    const history = [
      at(DAY0, captured()),
      at(DAY1, accepted),
      at(DAY2, touchpoint('demo_request')),
    ];
    expect(classifyLead(defaultFunnelDefinition, history)).toMatchObject({
      mql: true,
      mqlAt: DAY2,
    });
  });

  it('given a higher threshold, then the same history does not qualify', () => {
    const strict = {
      ...defaultFunnelDefinition,
      version: 2,
      mql: { ...defaultFunnelDefinition.mql, threshold: 90 },
    };
    expect(classifyLead(strict, qualifyingHistory)).toEqual({
      mql: false,
      mqlAt: null,
      fitScore: 80,
      // The last evaluation, at DAY3: both page views and the decayed demo request.
      intentScore: 44.95,
      score: 65.98,
    });
  });

  it('is deterministic: the same history and definition give the same classification', () => {
    expect(classifyLead(defaultFunnelDefinition, qualifyingHistory)).toEqual(
      classifyLead(defaultFunnelDefinition, qualifyingHistory),
    );
  });

  describe('the sales-sourced path (ADR 0008)', () => {
    const handed = (path?: 'sales_sourced'): LeadEvent => ({
      type: 'LeadHandedToSales',
      data: {
        owner: 'marco',
        team: null,
        slaDueAt: '2026-03-05T09:00:00.000Z',
        rulesVersion: 1,
        ...(path === undefined ? {} : { path, salesSource: 'referral' }),
      },
    });

    it('never infers an MQL for a lead whose first hand-off was sales-sourced, keeping its scores', () => {
      // The same facts qualify on the marketing path (first test): only the recorded path differs.
      const history = [
        at(DAY0, captured()),
        at(DAY0, handed('sales_sourced')),
        ...qualifyingHistory.slice(1),
      ];
      expect(classifyLead(defaultFunnelDefinition, history)).toEqual({
        mql: false,
        mqlAt: null,
        fitScore: 80,
        // The scores of the moment it would have qualified (DAY2), as on the marketing path.
        intentScore: 42.93,
        score: 65.17,
      });
    });

    it('does not let facts that qualified before the sales-sourced hand-off make it an MQL', () => {
      const history = [...qualifyingHistory, at(DAY3, handed('sales_sourced'))];
      expect(classifyLead(defaultFunnelDefinition, history)).toMatchObject({
        mql: false,
        mqlAt: null,
      });
    });

    it('a lead first handed over by marketing stays on the marketing path and qualifies as before', () => {
      const history = [...qualifyingHistory, at(DAY3, handed()), at(DAY3, handed('sales_sourced'))];
      expect(salesEntryPath(history)).toBe('marketing');
      expect(classifyLead(defaultFunnelDefinition, history)).toMatchObject({
        mql: true,
        mqlAt: DAY2,
      });
    });

    it('a hand-off recorded before paths existed is the marketing path', () => {
      expect(salesEntryPath([at(DAY0, captured()), at(DAY1, handed())])).toBe('marketing');
      expect(salesEntryPath([at(DAY0, captured())])).toBe('marketing');
      expect(salesEntryPath([at(DAY0, captured()), at(DAY1, handed('sales_sourced'))])).toBe(
        'sales_sourced',
      );
    });
  });
});
