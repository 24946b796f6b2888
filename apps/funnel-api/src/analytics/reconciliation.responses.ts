/**
 * What GET /analytics/reconciliation answers, as zod schemas: the JSON verdict, checked at
 * compile time against the repository's FullReconciliation (the audited stages are the
 * analytics' own list; the check fails if another enum differs), and the CSV of the lens
 * checks, its columns from the same presentation that writes them.
 */
import { auditedStages, type FullReconciliation } from '@tandem/analytics';
import { z } from 'zod';
import type { SameAnswer } from '../http/api-answer.decorator';
import { reconciliationChecks } from './analytics-views';

const auditedStage = z.enum(auditedStages);
const count = z.number().int().nonnegative();

export const reconciliationSchema = z.strictObject({
  ok: z.boolean().describe('Every check passed'),
  checks: z
    .array(
      z.strictObject({
        metric: z
          .string()
          .describe('handed_to_sales, accepted, rejected, opportunities, won, won_revenue:<CUR>'),
        marketing: z.string().describe('Exact decimal'),
        sales: z.string(),
        events: z.string(),
        ok: z.boolean(),
      }),
    )
    .describe('The marketing lens, the sales lens and the events, metric by metric'),
  coveredPosition: z
    .string()
    .nullable()
    .describe('The projection checkpoint the per-lead checks covered (decimal string)'),
  settled: z.boolean().describe('False when the projection moved during the final run'),
  ruleSets: z.array(
    z.strictObject({
      rulesVersion: z.number().int().positive(),
      definitionHash: z.string(),
      kind: z.enum(['published', 'shadow']),
      status: z.enum(['pending', 'building', 'ready']),
      checked: z.boolean().describe('False for a set still being built'),
      ok: z.boolean(),
      requirements: z.array(
        z.strictObject({
          stage: auditedStage,
          requires: auditedStage,
          reached: count,
          required: count,
          violations: count.describe('Leads that reached `stage` without `requires`'),
        }),
      ),
      stages: z.array(
        z.strictObject({
          stage: z.enum(['captured', ...auditedStage.options]),
          view: count.describe('As the views count it'),
          events: count.describe('Straight from the events'),
        }),
      ),
      findings: z.array(
        z.strictObject({
          check: z.enum(['rule_facts', 'recorded_mql', 'monotonic', 'stage_count']),
          message: z.string(),
        }),
      ),
    }),
  ),
  findings: z.array(z.string()).describe('Every failed check, one line each'),
});

export const reconciliationCsv = z
  .string()
  .describe(
    `A header row, then one line per lens check; columns: ${reconciliationChecks.columns.join(', ')}`,
  );

const _verdict: SameAnswer<z.infer<typeof reconciliationSchema>, FullReconciliation> = true;
void _verdict;
