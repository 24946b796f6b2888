/**
 * Typed row of the rule-set audit (sql/views/rule-set-audit.sql), validated at the boundary like
 * every other view's rows, and what the reconciliation reads from it: the lead audit's groups,
 * the stage counts both ways and the event totals. Pure.
 *
 * The witness's groups carry a cut: 'both' (a lead with no event after the checkpoint),
 * 'covered' (a lead's events up to the checkpoint, for the lead audit only) or 'events' (every
 * event of such a lead, for the counts of every event only). Each check sums the groups of its
 * cut and nothing else.
 */
import { z } from 'zod';
import { sumDecimals } from '../exact-decimal';
import type { SharedTotals } from '../analytics.rows';
import { auditedStages, type AuditedStage } from './funnel-requirements';
import {
  countedStages,
  factsStates,
  type LeadAuditGroup,
  type StageCount,
} from './rule-set-findings';

const count = z.union([
  z.number().int().nonnegative(),
  z
    .string()
    .regex(/^\d+$/)
    .transform(Number)
    .refine((value) => Number.isSafeInteger(value), 'count exceeds 2^53'),
]);
// ClickHouse prints Bool as true/false and UInt8 comparisons as 0/1.
const flag = z
  .union([z.boolean(), z.literal(0), z.literal(1)])
  .transform((value) => value === true || value === 1);
const money = z.record(z.string(), z.string().regex(/^-?\d+(\.\d+)?$/));

const witnessCuts = ['both', 'covered', 'events'] as const;
type WitnessCut = (typeof witnessCuts)[number];

/** One group of the event witness: leads that look alike to every check, in one cut. */
interface WitnessGroup extends LeadAuditGroup {
  readonly cut: WitnessCut;
  readonly captured: boolean;
  readonly wonRevenue: Readonly<Record<string, string>>;
}

// The tuple's order is rule-set-audit.sql's: cut, facts, in_cohort, recorded_for_set,
// sales_sourced, captured, then mql .. lost (auditedStages' order), leads, won_revenue.
const witnessGroup = z
  .tuple([
    z.enum(witnessCuts),
    z.enum(factsStates),
    flag,
    flag,
    flag,
    flag,
    flag,
    flag,
    flag,
    flag,
    flag,
    flag,
    flag,
    flag,
    count,
    money,
  ])
  .transform(
    ([cut, facts, inCohort, recordedForSet, salesSourced, captured, ...rest]): WitnessGroup => {
      const stageFlags = rest.slice(0, auditedStages.length);
      return {
        cut,
        facts,
        inCohort,
        recordedForSet,
        salesSourced,
        captured,
        reached: new Set(auditedStages.filter((_, index) => stageFlags[index] === true)),
        leads: rest[auditedStages.length],
        wonRevenue: rest[auditedStages.length + 1] as Record<string, string>,
      };
    },
  );

const viewCounts = Object.fromEntries(
  countedStages.map((stage) => [`view_${stage}`, count]),
) as Record<`view_${(typeof countedStages)[number]}`, typeof count>;

const ruleSetAuditRow = z.object({ ...viewCounts, witness: z.array(witnessGroup) });

/** What the reconciliation reads of one rule set from the audit's row. */
export interface RuleSetAudit {
  /** The lead audit's groups: every lead's events up to the checkpoint. */
  readonly groups: LeadAuditGroup[];
  /** Each stage as the views count it and from every event (captured leads). */
  readonly stages: StageCount[];
  /** The shared totals from every event of every lead (the lens checks' third witness). */
  readonly totals: SharedTotals;
}

const reached = (group: WitnessGroup, stage: AuditedStage) => group.reached.has(stage);

export function parseRuleSetAudit(rows: unknown): RuleSetAudit {
  const [row] = z.tuple([ruleSetAuditRow]).parse(rows);
  const groups = row.witness.filter((group) => group.cut !== 'events');
  const everyEvent = row.witness.filter((group) => group.cut !== 'covered');
  const sum = (keep: (group: WitnessGroup) => boolean) =>
    everyEvent.reduce((total, group) => total + (keep(group) ? group.leads : 0), 0);
  const stages = countedStages.map((stage) => ({
    stage,
    view: row[`view_${stage}`],
    events: sum((group) => group.captured && (stage === 'captured' || reached(group, stage))),
  }));
  const amounts = new Map<string, string[]>();
  for (const group of everyEvent) {
    for (const [currency, amount] of Object.entries(group.wonRevenue)) {
      amounts.set(currency, [...(amounts.get(currency) ?? []), amount]);
    }
  }
  return {
    groups: groups.map(({ facts, inCohort, recordedForSet, salesSourced, reached, leads }) => ({
      facts,
      inCohort,
      recordedForSet,
      salesSourced,
      reached,
      leads,
    })),
    stages,
    totals: {
      handedToSales: sum((group) => reached(group, 'handed_to_sales')),
      accepted: sum((group) => reached(group, 'accepted')),
      rejected: sum((group) => reached(group, 'rejected')),
      opportunities: sum((group) => reached(group, 'opportunity')),
      won: sum((group) => reached(group, 'won')),
      wonRevenue: Object.fromEntries(
        [...amounts]
          .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
          .map(([currency, values]) => [currency, sumDecimals(values)]),
      ),
    },
  };
}
