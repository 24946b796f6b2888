/**
 * Prometheus metrics for every Tandem process: one registry per process with the default
 * Node.js process metrics, and the Tandem metrics by name, defined here once so the API, the
 * relay and the projector cannot spell the same metric two ways.
 *
 * It must never put personal data or unbounded values (lead ids, emails, raw URLs, error
 * messages) in a label: labels are command types, outcomes, reason codes and route templates.
 */
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';

type Read<L extends string> = () => Promise<
  number | readonly { labels: Record<L, string>; value: number }[] | null
>;

export const metricNames = {
  commands: 'tandem_commands_total',
  appendSeconds: 'tandem_event_store_append_duration_seconds',
  httpRequests: 'tandem_http_requests_total',
  httpSeconds: 'tandem_http_request_duration_seconds',
  projectionLag: 'tandem_projection_lag_events',
  projectionRefused: 'tandem_projection_refused_events',
  replayProgress: 'tandem_rule_replay_progress_ratio',
  replaysRunning: 'tandem_rule_replays_running',
  relayLag: 'tandem_relay_lag_events',
  relayPublished: 'tandem_relay_published_events_total',
  consumerLag: 'tandem_projector_consumer_lag_messages',
  projectorProjected: 'tandem_projector_projected_events_total',
  projectorDeadLettered: 'tandem_projector_dead_lettered_events_total',
  projectorWaitingSets: 'tandem_projector_rule_sets_of_other_build',
  keysUnderPreviousMasterKey: 'tandem_lead_keys_under_previous_master_key',
  keysNotUnwrappedByPreviousMasterKey: 'tandem_lead_keys_not_unwrapped_by_previous_master_key',
  keysUnderOtherMasterKeys: 'tandem_lead_keys_under_other_master_keys',
} as const;

/** A registry with Node's process metrics (CPU, memory, event-loop lag, GC) and `service`. */
export function createMetricsRegistry(service: string): Registry {
  const registry = new Registry();
  registry.setDefaultLabels({ service });
  collectDefaultMetrics({ register: registry });
  return registry;
}

export type CommandOutcome = 'accepted' | 'refused' | 'failed';

/** Commands by type and outcome; `reason` is the refusal's code ('' unless refused). */
export const commandCounter = (registry: Registry) =>
  new Counter<'command' | 'outcome' | 'reason'>({
    name: metricNames.commands,
    help: 'Commands handled, by command type and outcome (accepted, refused with a reason code, failed)',
    labelNames: ['command', 'outcome', 'reason'],
    registers: [registry],
  });

/** Appends to the event store, by outcome (ok, conflict, error). */
export const appendHistogram = (registry: Registry) =>
  new Histogram<'outcome'>({
    name: metricNames.appendSeconds,
    help: 'Time to append one command’s events to the event store',
    labelNames: ['outcome'],
    // Appends are milliseconds on a healthy store; the tail shows lock waits and fsyncs.
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers: [registry],
  });

export const httpRequestCounter = (registry: Registry) =>
  new Counter<'method' | 'route' | 'status'>({
    name: metricNames.httpRequests,
    help: 'HTTP requests answered, by method, route template and status',
    labelNames: ['method', 'route', 'status'],
    registers: [registry],
  });

export const httpDurationHistogram = (registry: Registry) =>
  new Histogram<'method' | 'route'>({
    name: metricNames.httpSeconds,
    help: 'HTTP request duration until the response was written',
    labelNames: ['method', 'route'],
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [registry],
  });

/**
 * A gauge read at scrape time (store heads, checkpoints, consumer offsets are the state of
 * other systems: reading them on scrape keeps them exact and costs nothing between scrapes).
 * `read` returns one value, or labelled values; a failed read leaves the gauge empty for that
 * scrape rather than failing the whole exposition.
 */
export function scrapeGauge<L extends string>(
  registry: Registry,
  name: string,
  help: string,
  labelNames: readonly L[],
  read: Read<L>,
): Gauge<L> {
  return new Gauge<L>({
    name,
    help,
    labelNames,
    registers: [registry],
    async collect() {
      this.reset();
      let value: Awaited<ReturnType<typeof read>>;
      try {
        value = await read();
      } catch {
        return;
      }
      if (value === null) return;
      if (typeof value === 'number') {
        this.set(value);
        return;
      }
      for (const item of value) this.set(item.labels as Partial<Record<L, string>>, item.value);
    },
  });
}

/**
 * A counter whose value a component already keeps (events published, dead-lettered since
 * start), read at scrape time so the component needs no metrics code in its hot path.
 */
export function scrapeCounter(
  registry: Registry,
  name: string,
  help: string,
  read: () => number,
): Counter {
  return new Counter({
    name,
    help,
    registers: [registry],
    collect() {
      this.reset();
      this.inc(read());
    },
  });
}
