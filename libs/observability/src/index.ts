/** libs/observability: Prometheus metrics and OpenTelemetry traces for every Tandem process. */
export * from './instrumented-event-store';
export * from './metrics';
export * from './metrics-exposition';
export * from './tracing';
