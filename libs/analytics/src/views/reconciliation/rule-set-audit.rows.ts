/**
 * Typed rows of the two rule-set audit queries (sql/views/rule-set-lead-audit.sql and
 * rule-set-stage-counts.sql), validated at the boundary like every other view's rows.
 */
import { z } from 'zod';
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

const stageFlags = Object.fromEntries(auditedStages.map((stage) => [stage, flag])) as Record<
  AuditedStage,
  typeof flag
>;

const leadAuditSchema = z
  .object({
    facts: z.enum(factsStates),
    in_cohort: flag,
    recorded_for_set: flag,
    sales_sourced: flag,
    leads: count,
    ...stageFlags,
  })
  .transform((row): LeadAuditGroup => ({
    facts: row.facts,
    inCohort: row.in_cohort,
    recordedForSet: row.recorded_for_set,
    salesSourced: row.sales_sourced,
    reached: new Set(auditedStages.filter((stage) => row[stage])),
    leads: row.leads,
  }));

export const parseLeadAuditGroups = (rows: unknown): LeadAuditGroup[] =>
  z.array(leadAuditSchema).parse(rows);

const stageCountsSchema = z
  .record(z.string(), count)
  .transform((row): StageCount[] =>
    countedStages.map((stage) => ({
      stage,
      view: row[`view_${stage}`] ?? Number.NaN,
      events: row[`events_${stage}`] ?? Number.NaN,
    })),
  )
  .refine(
    (stages) => stages.every((stage) => !Number.isNaN(stage.view) && !Number.isNaN(stage.events)),
    'a stage count is missing',
  );

export const parseStageCounts = (rows: unknown): StageCount[] =>
  z.tuple([stageCountsSchema]).parse(rows)[0];
