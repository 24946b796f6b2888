import { InvalidDefinitionError } from '../errors';
import { defaultFunnelDefinition } from './default-funnel-definition';
import { parseFunnelDefinition } from './funnel-definition';
import { evaluateMql, fitScore, intentScore, type LeadFacts, slaDueAt } from './scoring';

const issuesOf = (draft: unknown) => {
  try {
    parseFunnelDefinition(draft);
  } catch (error) {
    if (error instanceof InvalidDefinitionError) return error.issues.map((i) => i.path);
    throw error;
  }
  return [];
};

describe('funnel definition validation', () => {
  it('accepts the shipped default', () => {
    expect(parseFunnelDefinition(defaultFunnelDefinition)).toEqual(defaultFunnelDefinition);
  });

  it('names every offending field', () => {
    expect(
      issuesOf({
        ...defaultFunnelDefinition,
        version: 0,
        icp: { ...defaultFunnelDefinition.icp, companySize: { min: 900, max: 10 } },
        mql: { ...defaultFunnelDefinition.mql, fitWeight: 0.9 },
        sql: { criteria: ['budget'], minimumMet: 2 },
        rejectionReasons: [
          { code: 'dup', label: 'a' },
          { code: 'dup', label: 'b' },
        ],
        attribution: { models: ['linear'], default: 'w_shaped' },
      }),
    ).toEqual(
      expect.arrayContaining([
        'version',
        'icp.companySize',
        'mql.fitWeight',
        'sql.minimumMet',
        'rejectionReasons',
        'attribution.default',
      ]),
    );
  });

  it('rejects a missing section by name', () => {
    const { sla: _sla, ...withoutSla } = defaultFunnelDefinition;
    expect(issuesOf(withoutSla)).toEqual(['sla']);
  });
});

const fitting: LeadFacts = {
  name: 'A',
  email: 'a@example.com',
  productInterest: 'lead_scoring',
  timeframe: 'now',
  industry: 'software',
  companySize: 100,
  country: 'IT',
  role: 'cmo',
  touchpoints: [],
};

describe('scoring', () => {
  it('fit is the weighted share of ICP criteria met', () => {
    expect(fitScore(defaultFunnelDefinition, fitting)).toBe(100);
    expect(fitScore(defaultFunnelDefinition, { ...fitting, role: null })).toBe(80);
    expect(fitScore(defaultFunnelDefinition, { ...fitting, companySize: 10, country: 'BR' })).toBe(
      65,
    );
  });

  it('intent halves every half-life and is capped', () => {
    const at = '2026-03-31T00:00:00.000Z';
    const demo = (occurredAt: string) => ({ kind: 'demo_request' as const, occurredAt });
    expect(intentScore(defaultFunnelDefinition, { ...fitting, touchpoints: [demo(at)] }, at)).toBe(
      40,
    );
    expect(
      intentScore(
        defaultFunnelDefinition,
        { ...fitting, touchpoints: [demo('2026-03-01T00:00:00.000Z')] },
        at,
      ),
    ).toBe(20);
    const many = Array.from({ length: 5 }, () => demo(at));
    expect(intentScore(defaultFunnelDefinition, { ...fitting, touchpoints: many }, at)).toBe(100);
  });

  it('MQL needs the threshold and every required field', () => {
    const at = '2026-03-31T00:00:00.000Z';
    const hot = { ...fitting, touchpoints: [{ kind: 'demo_request' as const, occurredAt: at }] };
    expect(evaluateMql(defaultFunnelDefinition, hot, at)).toMatchObject({
      qualifies: true,
      score: 76,
    });
    expect(evaluateMql(defaultFunnelDefinition, { ...hot, email: ' ' }, at)).toMatchObject({
      qualifies: false,
      reasons: ['missing required fields: email', expect.stringContaining('meets threshold')],
    });
  });

  it('the SLA is due acceptWithinHours after the hand-off', () => {
    expect(slaDueAt(defaultFunnelDefinition, '2026-03-02T10:00:00.000Z')).toBe(
      '2026-03-03T10:00:00.000Z',
    );
  });
});
