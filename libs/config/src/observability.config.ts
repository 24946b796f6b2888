/**
 * The environment of Tandem's own observability: who may scrape /metrics and when /health/ready
 * says "not ready". Validated like the rest of the configuration (a bad value names its
 * variable and stops the process). Tracing is configured by OpenTelemetry's standard
 * variables (OTEL_EXPORTER_OTLP_ENDPOINT, OTEL_SERVICE_NAME …), read by its SDK, not here.
 *
 * Kept beside tandem.config.ts rather than inside it so every process (API, relay, projector)
 * reads the same two settings without needing the API's whole configuration to be valid.
 */
import { z } from 'zod';
import { ConfigError } from './tandem.config';

export interface ObservabilityConfig {
  /** When set, /metrics answers only `Authorization: Bearer <token>`; null: open like liveness. */
  readonly metricsToken: string | null;
  /** /health/ready is 503 while the projection is more than this many events behind the store. */
  readonly readyMaxLagEvents: number;
}

const schema = z.object({
  TANDEM_METRICS_TOKEN: z
    .string()
    .min(16, 'must have at least 16 characters (a random secret shared with the scraper)')
    .optional(),
  TANDEM_READY_MAX_LAG_EVENTS: z.coerce.number().int().min(0).default(10_000),
});

export function loadObservabilityConfig(env: NodeJS.ProcessEnv = process.env): ObservabilityConfig {
  const parsed = schema.safeParse(env);
  if (!parsed.success) {
    throw new ConfigError(
      parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`),
    );
  }
  return {
    metricsToken: parsed.data.TANDEM_METRICS_TOKEN ?? null,
    readyMaxLagEvents: parsed.data.TANDEM_READY_MAX_LAG_EVENTS,
  };
}
