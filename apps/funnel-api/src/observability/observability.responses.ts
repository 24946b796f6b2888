/**
 * What /metrics and /health/ready answer, as zod schemas for the OpenAPI document (ApiAnswer).
 * Both routes write their answer themselves (@Res), so each schema is checked at compile time
 * against the type of what the route writes: the exposition's body and the probe's Readiness.
 */
import type { MetricsAnswer } from '@tandem/observability';
import { z } from 'zod';
import type { SameAnswer } from '../http/api-answer.decorator';
import type { Readiness } from './readiness';

export const expositionSchema = z
  .string()
  .describe('Prometheus text exposition format 0.0.4 (`text/plain; version=0.0.4; charset=utf-8`)');
export const readinessSchema = z.strictObject({
  status: z.enum(['ready', 'not ready']),
  failed: z
    .array(z.enum(['eventStore', 'clickhouse', 'projection', 'views', 'ruleFacts']))
    .describe('Failed checks'),
  checks: z
    .record(z.string(), z.unknown())
    .describe(
      'What each check saw: eventStore and clickhouse `{ up }`, projection its lag, views whether they answer from a snapshot of the per-lead funnel, ruleFacts how many kept rule sets hold rows computed by other code than this, not re-derived yet',
    ),
});
const _exposition: SameAnswer<z.infer<typeof expositionSchema>, MetricsAnswer['body']> = true;
const _readiness: SameAnswer<z.infer<typeof readinessSchema>, Readiness> = true;
void [_exposition, _readiness];
