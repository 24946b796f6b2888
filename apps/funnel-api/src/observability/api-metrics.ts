/**
 * The funnel API's Prometheus registry and the metrics its parts record into: commands,
 * appends, HTTP requests. One instance per application (tests run several in one process,
 * each with its own numbers). Scrape-time gauges (projection, replays) are registered by
 * ProjectionGauges; /metrics is served by MetricsController.
 */
import {
  appendHistogram,
  commandCounter,
  createMetricsRegistry,
  httpDurationHistogram,
  httpRequestCounter,
} from '@tandem/observability';

export class ApiMetrics {
  readonly registry = createMetricsRegistry('funnel-api');
  readonly commands = commandCounter(this.registry);
  readonly appendSeconds = appendHistogram(this.registry);
  readonly httpRequests = httpRequestCounter(this.registry);
  readonly httpSeconds = httpDurationHistogram(this.registry);
}
