import { SpanKind, trace } from '@opentelemetry/api';
import { InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import {
  type EventStore,
  type EventToAppend,
  WrongExpectedRevisionError,
} from '@tandem/event-store';
import { parsePrometheusText, sampleValue } from '@tandem/testing';
import { instrumentEventStore } from './instrumented-event-store';
import { appendHistogram, createMetricsRegistry, metricNames } from './metrics';
import { startTracing, tracer } from './tracing';

/** Records what reaches the wrapped store; fails when told to. */
function recordingStore() {
  const appended: EventToAppend[][] = [];
  let failWith: Error | null = null;
  const store = {
    append: async (_streamId: string, events: readonly EventToAppend[]) => {
      if (failWith) throw failWith;
      appended.push([...events]);
      return { nextExpectedRevision: 0n, lastGlobalPosition: 1n };
    },
    headPosition: async () => 7n,
  } as unknown as EventStore;
  return { store, appended, failNext: (error: Error) => (failWith = error) };
}

const event = (): EventToAppend => ({
  eventId: '0190c0de-0000-7000-8000-000000000001',
  type: 'LeadCaptured',
  schemaVersion: 1,
  data: {},
  metadata: { correlationId: 'c-1' },
});

describe('instrumentEventStore', () => {
  const exporter = new InMemorySpanExporter();
  const tracing = startTracing('test', { spanProcessors: [new SimpleSpanProcessor(exporter)] });
  afterAll(() => tracing.shutdown());
  beforeEach(() => exporter.reset());

  it('stores the append span’s trace context in each event, under the caller’s trace', async () => {
    const { store, appended } = recordingStore();
    const instrumented = instrumentEventStore(store);
    await tracer().startActiveSpan('command', async (command) => {
      await instrumented.append('lead-1', [event(), event()], { expectedRevision: 'no_stream' });
      command.end();
    });
    const spans = exporter.getFinishedSpans();
    const append = spans.find((span) => span.name === 'event-store append');
    const command = spans.find((span) => span.name === 'command');
    expect(append?.kind).toBe(SpanKind.CLIENT);
    expect(append?.spanContext().traceId).toBe(command?.spanContext().traceId);
    expect(append?.parentSpanContext?.spanId).toBe(command?.spanContext().spanId);
    expect(appended[0]).toHaveLength(2);
    for (const stored of appended[0] ?? []) {
      expect(stored.metadata).toMatchObject({
        correlationId: 'c-1',
        traceparent: `00-${append?.spanContext().traceId}-${append?.spanContext().spanId}-01`,
      });
    }
  });

  it('passes every other member through to the wrapped store', async () => {
    const { store } = recordingStore();
    await expect(instrumentEventStore(store).headPosition()).resolves.toBe(7n);
  });

  it('observes append latency by outcome: ok, and conflict for a stale revision', async () => {
    const registry = createMetricsRegistry('test');
    const { store, failNext } = recordingStore();
    const instrumented = instrumentEventStore(store, appendHistogram(registry));
    await instrumented.append('lead-1', [event()], { expectedRevision: 'no_stream' });
    failNext(new WrongExpectedRevisionError('lead-1', 'no_stream', 0n));
    await expect(
      instrumented.append('lead-1', [event()], { expectedRevision: 'no_stream' }),
    ).rejects.toBeInstanceOf(WrongExpectedRevisionError);
    const samples = parsePrometheusText(await registry.metrics());
    const count = (outcome: string) =>
      sampleValue(samples, `${metricNames.appendSeconds}_count`, { outcome });
    expect(count('ok')).toBe(1);
    expect(count('conflict')).toBe(1);
    expect(trace.getActiveSpan()).toBeUndefined();
  });
});
