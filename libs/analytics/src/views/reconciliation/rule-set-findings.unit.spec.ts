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
  salesSourced: false,
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
  it('checks each path on its own: a sales-sourced lead needs no MQL, but still a hand-off', () => {
    const requirements = [
      { stage: 'handed_to_sales', requires: 'mql' },
      { stage: 'accepted', requires: 'handed_to_sales' },
    ] as const;
    const groups = [
      group(300, ['mql', 'handed_to_sales', 'accepted']),
      // Sales-sourced: handed over and accepted without an MQL; one qualified live after a recycle.
      group(40, ['handed_to_sales', 'accepted'], { salesSourced: true, recordedForSet: false }),
      group(1, ['handed_to_sales'], { salesSourced: true, recordedForSet: true }),
      // A sales-sourced lead accepted without a hand-off is still a finding.
      group(2, ['accepted'], { salesSourced: true, recordedForSet: false }),
    ];
    const counted = countRequirements(groups, requirements);
    expect(counted).toEqual([
      { stage: 'handed_to_sales', requires: 'mql', reached: 300, required: 300, violations: 0 },
      {
        stage: 'accepted',
        requires: 'handed_to_sales',
        reached: 342,
        required: 341,
        violations: 2,
      },
    ]);
    const findings = ruleSetFindings(set, {
      groups,
      requirements: counted,
      stages: stages(300, 300),
      coveredPosition: '900',
    });
    // No recorded_mql finding for the recycled sales-sourced lead, no MQL requirement broken.
    expect(findings.map((finding) => finding.check)).toEqual(['monotonic']);
    expect(findings[0]?.message).toMatch(/accepted 342 > handed_to_sales 341$/);
  });
});
