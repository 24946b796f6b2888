import type { AuditedStage } from './funnel-requirements';
import {
  countRequirements,
  ruleSetFindings,
  type LeadAuditGroup,
  type StageCount,
} from './rule-set-findings';

const set = { rulesVersion: 2, definitionHash: 'abc123' };
const group = (
  leads: number,
  reached: AuditedStage[],
  overrides: Partial<Omit<LeadAuditGroup, 'reached' | 'leads'>> = {},
): LeadAuditGroup => ({
  facts: 'ok',
  inCohort: true,
  recordedForSet: reached.includes('mql'),
  reached: new Set(reached),
  leads,
  ...overrides,
});
const stages = (view: number, events: number): StageCount[] => [
  { stage: 'captured', view: 10, events: 10 },
  { stage: 'mql', view, events },
];
const requirement = [{ stage: 'handed_to_sales', requires: 'mql' }] as const;

describe('ruleSetFindings', () => {
  it('finds nothing when every invariant holds', () => {
    const groups = [group(300, ['mql', 'handed_to_sales']), group(2, ['mql']), group(5, [])];
    expect(
      ruleSetFindings(set, {
        groups,
        requirements: countRequirements(groups, requirement),
        stages: stages(302, 302),
        coveredPosition: '900',
      }),
    ).toEqual([]);
  });

  it('names the set and the numbers of every failed check (the crash: facts never written)', () => {
    const groups = [
      group(300, ['mql', 'handed_to_sales']),
      group(2, ['mql']),
      // Handed leads qualified live under v2 whose rule facts a crash lost.
      group(4, ['handed_to_sales'], { facts: 'missing', recordedForSet: true }),
      group(1, [], { facts: 'stale' }),
      group(7, [], { facts: 'not_needed' }),
    ];
    const requirements = countRequirements(groups, requirement);
    expect(requirements).toEqual([
      { stage: 'handed_to_sales', requires: 'mql', reached: 304, required: 302, violations: 4 },
    ]);
    expect(
      ruleSetFindings(set, {
        groups,
        requirements,
        stages: stages(302, 303),
        coveredPosition: '900',
      }),
    ).toEqual([
      {
        check: 'rule_facts',
        message:
          'rules version 2 (sha abc123): 4 of 307 leads with rule inputs up to position 900 have no lead_rule_facts row',
      },
      {
        check: 'rule_facts',
        message:
          'rules version 2 (sha abc123): 1 of 307 leads have a lead_rule_facts row computed before their last rule input (up to position 900)',
      },
      {
        check: 'recorded_mql',
        message:
          'rules version 2 (sha abc123): 4 of 306 leads qualified live under version 2 are not MQL under the set',
      },
      {
        check: 'monotonic',
        message: 'rules version 2 (sha abc123): handed_to_sales 304 > mql 302',
      },
      {
        check: 'stage_count',
        message: 'rules version 2 (sha abc123): mql in the views 302 ≠ 303 from the events',
      },
    ]);
  });

  it('reports leads that skipped a stage even when the totals still look monotonic', () => {
    const groups = [
      group(300, ['mql', 'handed_to_sales']),
      group(5, ['mql']),
      group(1, ['handed_to_sales']),
    ];
    expect(
      ruleSetFindings(set, {
        groups,
        requirements: countRequirements(groups, requirement),
        stages: [],
        coveredPosition: '900',
      }),
    ).toEqual([
      {
        check: 'monotonic',
        message:
          'rules version 2 (sha abc123): 1 leads reached handed_to_sales without mql (handed_to_sales 301, mql 305)',
      },
    ]);
  });

  it('leaves out leads another version qualified: their MQL need not be this set’s', () => {
    const groups = [
      group(10, ['mql', 'handed_to_sales']),
      group(50, ['handed_to_sales'], { inCohort: false, recordedForSet: false }),
    ];
    expect(
      ruleSetFindings(set, {
        groups,
        requirements: countRequirements(groups, requirement),
        stages: [],
        coveredPosition: '900',
      }),
    ).toEqual([]);
  });
});
