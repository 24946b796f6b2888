/**
 * OpenTelemetry tracing for every Tandem process, off unless asked for: with no
 * OTEL_EXPORTER_OTLP_ENDPOINT (or _TRACES_ENDPOINT) no SDK is registered, the API's tracer is
 * the no-op one and every span below costs a function call. With it, spans go to the
 * collector over OTLP/HTTP in batches, named by OTEL_SERVICE_NAME (default: the process).
 *
 * The trace crosses process boundaries in W3C `traceparent`/`tracestate` form: in event
 * metadata from the append onwards, in Kafka headers from the relay onwards.
 * It must never put personal data in a span: attributes are types, counts and routes.
 */
import {
  context,
  type Context,
  propagation,
  ROOT_CONTEXT,
  type Span,
  type SpanKind,
  SpanStatusCode,
  trace,
} from '@opentelemetry/api';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { detectResources, envDetector, resourceFromAttributes } from '@opentelemetry/resources';
import {
  BatchSpanProcessor,
  NodeTracerProvider,
  type SpanProcessor,
} from '@opentelemetry/sdk-trace-node';

export interface Tracing {
  readonly enabled: boolean;
  /** Flushes spans still buffered; call on shutdown. */
  shutdown(): Promise<void>;
}

export interface TracingOptions {
  /** Span processors instead of the OTLP exporter (tests: the SDK's InMemorySpanExporter). */
  readonly spanProcessors?: readonly SpanProcessor[];
  readonly env?: NodeJS.ProcessEnv;
}

const off: Tracing = { enabled: false, shutdown: () => Promise.resolve() };

/** Registers the SDK globally when the environment (or a test) asks for it; else no-op. */
export function startTracing(service: string, options: TracingOptions = {}): Tracing {
  const env = options.env ?? process.env;
  const exporting =
    env.OTEL_SDK_DISABLED !== 'true' &&
    env.OTEL_TRACES_EXPORTER !== 'none' &&
    Boolean(env.OTEL_EXPORTER_OTLP_ENDPOINT || env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT);
  if (!options.spanProcessors && !exporting) return off;
  const provider = new NodeTracerProvider({
    // OTEL_SERVICE_NAME and OTEL_RESOURCE_ATTRIBUTES (envDetector) override the default name.
    resource: resourceFromAttributes({ 'service.name': service }).merge(
      detectResources({ detectors: [envDetector] }),
    ),
    spanProcessors: [
      ...(options.spanProcessors ?? [new BatchSpanProcessor(new OTLPTraceExporter())]),
    ],
  });
  // Installs the AsyncLocalStorage context manager and the W3C trace-context propagator.
  provider.register();
  return { enabled: true, shutdown: () => provider.shutdown() };
}

export const tracer = () => trace.getTracer('tandem');

/** The active trace context as W3C headers (`traceparent`, maybe `tracestate`); {} if none. */
export function traceHeaders(from: Context = context.active()): Record<string, string> {
  const carrier: Record<string, string> = {};
  propagation.inject(from, carrier);
  return carrier;
}

/** A span's own context as W3C headers: what a message it sends should carry. */
export const spanHeaders = (span: Span): Record<string, string> =>
  traceHeaders(trace.setSpan(ROOT_CONTEXT, span));

/** The context a carrier (event metadata, Kafka headers, HTTP headers) names; root if none. */
export function contextFrom(carrier: Readonly<Record<string, unknown>> | undefined): Context {
  if (!carrier) return ROOT_CONTEXT;
  const text: Record<string, string> = {};
  for (const key of ['traceparent', 'tracestate']) {
    const value = carrier[key];
    if (typeof value === 'string') text[key] = value;
    else if (Buffer.isBuffer(value)) text[key] = value.toString('utf8');
  }
  return text.traceparent ? propagation.extract(ROOT_CONTEXT, text) : ROOT_CONTEXT;
}

/** True when the carrier holds a trace context worth continuing. */
export const carriesTrace = (carrier: Readonly<Record<string, unknown>> | undefined): boolean =>
  carrier?.traceparent !== undefined;

/**
 * A span that continues the trace the carrier names (a child of the span that wrote it), for
 * work done later in another process: publishing, projecting.
 */
export function startSpanFrom(
  carrier: Readonly<Record<string, unknown>> | undefined,
  name: string,
  kind: SpanKind,
  attributes: Record<string, string | number> = {},
): Span {
  return tracer().startSpan(name, { kind, attributes }, contextFrom(carrier));
}

/** Ends a span with an error status and the error's class (never its message: it may hold data). */
export function endWithError(span: Span, error: unknown): void {
  span.setStatus({
    code: SpanStatusCode.ERROR,
    message: error instanceof Error ? error.name : 'error',
  });
  span.end();
}
