/**
 * The per-rule-set half of reconciliation, as pure functions: given what the audit
 * (rule-set-audit.sql) counted for one kept rule set, which checks fail, each as a named finding
 * with its numbers.
 * Three invariants (see rule-set-reconciliation.ts for how the counts are read):
 *
 * - `rule_facts`: every lead with a rule-input event in lead_events (up to the projection
 *   checkpoint) has a lead_rule_facts row for the set computed from at least its last rule-input
 *   event. A row is a pure function of those events, so this is exactly "the set's
 *   rule-derived rows are complete and current" — the thing a crash between lead_events and
 *   lead_rule_facts breaks.
 * - `recorded_mql`: a lead qualified live under version V is an MQL under V's published set
 *   (ADR 0005): raw LeadQualifiedAsMql events against the set's MQL flags.
 * - `monotonic`: for each stage the transitions force before another (funnel-requirements.ts),
 *   no lead reached the later stage without the earlier one. Counted over the leads the set's
 *   version recorded: leads qualified live under another version only are left out, since
 *   another version's MQL need not be this set's. Within each path (ADR 0008): a sales-sourced
 *   lead entered sales without an MQL by definition, so requirements of an MQL do not apply
 *   to it; every other requirement does.
 * - `stage_count`: per stage, the count the views compute (the per-lead funnel every view
 *   reads) equals the count straight from lead_events (and lead_rule_facts for MQL).
 *
 * It must never round or excuse a difference: any non-zero gap is a finding.
 */
import { describeRuleSet, type RuleSet } from '../../rules/rule-sets';
import { auditedStages, type AuditedStage, type StageRequirement } from './funnel-requirements';

/** How a lead's lead_rule_facts row for the set compares with its rule-input events. */
export const factsStates = ['ok', 'missing', 'stale', 'not_needed'] as const;
export type FactsState = (typeof factsStates)[number];

/** One group of leads that look alike to the audit (the rule-set audit's witness groups, cut at the checkpoint). */
export interface LeadAuditGroup {
  readonly facts: FactsState;
  /** Not qualified live under another version only: the set's version recorded its path. */
  readonly inCohort: boolean;
  /** Has a LeadQualifiedAsMql recorded under the set's version (published sets only). */
  readonly recordedForSet: boolean;
  /** Entered sales on the sales-sourced path (its first hand-off), so never an MQL. */
  readonly salesSourced: boolean;
  /** Stages reached: MQL under the set, the others from their events. */
  readonly reached: ReadonlySet<AuditedStage>;
  readonly leads: number;
}

export const countedStages = ['captured', ...auditedStages] as const;
export type CountedStage = (typeof countedStages)[number];

/** One stage counted two ways over the captured leads. */
export interface StageCount {
  readonly stage: CountedStage;
  /** As the views count it (the per-lead funnel under the set). */
  readonly view: number;
  /** Straight from lead_events (lead_rule_facts for MQL). */
  readonly events: number;
}

export const findingChecks = ['rule_facts', 'recorded_mql', 'monotonic', 'stage_count'] as const;
export type FindingCheck = (typeof findingChecks)[number];

export interface RuleSetFinding {
  readonly check: FindingCheck;
  /** The finding in one line, naming the set and the numbers. */
  readonly message: string;
}

/** One checked requirement with its counts over the set's cohort. */
export interface RequirementCount extends StageRequirement {
  /** Leads that reached `stage`. */
  readonly reached: number;
  /** Leads that reached `requires`. */
  readonly required: number;
  /** Leads that reached `stage` without `requires`. */
  readonly violations: number;
}

const sum = (groups: readonly LeadAuditGroup[], keep: (group: LeadAuditGroup) => boolean) =>
  groups.reduce((total, group) => total + (keep(group) ? group.leads : 0), 0);

/** Counts of each requirement over the leads the set's version recorded. */
export function countRequirements(
  groups: readonly LeadAuditGroup[],
  requirements: readonly StageRequirement[],
): RequirementCount[] {
  const cohort = groups.filter((group) => group.inCohort);
  return requirements.map(({ stage, requires }) => {
    // The sales-sourced path has no MQL stage: its leads are counted for every other pair.
    const onPath = cohort.filter((group) => !(requires === 'mql' && group.salesSourced));
    return {
      stage,
      requires,
      reached: sum(onPath, (group) => group.reached.has(stage)),
      required: sum(onPath, (group) => group.reached.has(requires)),
      violations: sum(onPath, (group) => group.reached.has(stage) && !group.reached.has(requires)),
    };
  });
}

/** Every failed check of one set, in a fixed order: rule facts, recorded MQL, monotonic, counts. */
export function ruleSetFindings(
  set: Pick<RuleSet, 'rulesVersion' | 'definitionHash'>,
  audit: {
    readonly groups: readonly LeadAuditGroup[];
    readonly requirements: readonly RequirementCount[];
    readonly stages: readonly StageCount[];
    /** The projection checkpoint the per-lead checks were bounded by (decimal string). */
    readonly coveredPosition: string;
  },
): RuleSetFinding[] {
  const name = describeRuleSet(set);
  const findings: RuleSetFinding[] = [];
  const { groups } = audit;

  const needing = sum(groups, (group) => group.facts !== 'not_needed');
  const missing = sum(groups, (group) => group.facts === 'missing');
  const stale = sum(groups, (group) => group.facts === 'stale');
  if (missing > 0) {
    findings.push({
      check: 'rule_facts',
      message: `${name}: ${missing} of ${needing} leads with rule inputs up to position ${audit.coveredPosition} have no lead_rule_facts row`,
    });
  }
  if (stale > 0) {
    findings.push({
      check: 'rule_facts',
      message: `${name}: ${stale} of ${needing} leads have a lead_rule_facts row computed before their last rule input (up to position ${audit.coveredPosition})`,
    });
  }

  // A sales-sourced lead qualified live after a recycle stays on its path, not an MQL (ADR 0008).
  const recorded = sum(groups, (group) => group.recordedForSet && !group.salesSourced);
  const recordedNotMql = sum(
    groups,
    (group) => group.recordedForSet && !group.salesSourced && !group.reached.has('mql'),
  );
  if (recordedNotMql > 0) {
    findings.push({
      check: 'recorded_mql',
      message: `${name}: ${recordedNotMql} of ${recorded} leads qualified live under version ${set.rulesVersion} are not MQL under the set`,
    });
  }

  for (const pair of audit.requirements) {
    if (pair.violations === 0) continue;
    findings.push({
      check: 'monotonic',
      message:
        pair.reached > pair.required
          ? `${name}: ${pair.stage} ${pair.reached} > ${pair.requires} ${pair.required}`
          : `${name}: ${pair.violations} leads reached ${pair.stage} without ${pair.requires} (${pair.stage} ${pair.reached}, ${pair.requires} ${pair.required})`,
    });
  }

  for (const { stage, view, events } of audit.stages) {
    if (view === events) continue;
    findings.push({
      check: 'stage_count',
      message: `${name}: ${stage} in the views ${view} ≠ ${events} from the events`,
    });
  }
  return findings;
}
