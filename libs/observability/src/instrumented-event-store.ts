/**
 * The event store as the write side sees it, measured: each append is a span (a child of the
 * command's) whose W3C trace context is stored in every appended event's metadata, so the
 * relay and the projector continue the command's trace from the event itself; and its
 * latency goes to the append histogram by outcome.
 *
 * A decorator, so no adapter and no write site knows about tracing. It must never change what
 * is appended besides adding `traceparent`/`tracestate` to metadata, and only while a trace
 * is being recorded (tracing off: events are appended exactly as given).
 */
import { SpanKind, SpanStatusCode, context } from '@opentelemetry/api';
import {
  DuplicateEventIdError,
  type EventStore,
  type EventToAppend,
  WrongExpectedRevisionError,
} from '@tandem/event-store';
import type { Histogram } from 'prom-client';
import { traceHeaders, tracer } from './tracing';

/** Errors a caller can cause (a stale revision, a duplicate id): not the store failing. */
const isConflict = (error: unknown): boolean =>
  error instanceof WrongExpectedRevisionError || error instanceof DuplicateEventIdError;

export function instrumentEventStore<S extends EventStore>(
  store: S,
  appendSeconds?: Histogram<'outcome'>,
): S {
  /** One span and one observation around `write`, with the trace carried in every event. */
  const measured = <T>(
    name: string,
    events: readonly EventToAppend[],
    write: (traced: (given: readonly EventToAppend[]) => readonly EventToAppend[]) => Promise<T>,
  ): Promise<T> =>
    tracer().startActiveSpan(
      name,
      {
        kind: SpanKind.CLIENT,
        attributes: {
          'tandem.event.count': events.length,
          'tandem.event.types': [...new Set(events.map((event) => event.type))].join(','),
        },
      },
      async (span) => {
        const started = process.hrtime.bigint();
        const observe = (outcome: string) =>
          appendSeconds?.observe({ outcome }, Number(process.hrtime.bigint() - started) / 1e9);
        const carrier = span.isRecording() ? traceHeaders(context.active()) : {};
        const traced = (given: readonly EventToAppend[]): readonly EventToAppend[] =>
          carrier.traceparent === undefined
            ? given
            : given.map((event) => ({ ...event, metadata: { ...event.metadata, ...carrier } }));
        try {
          const result = await write(traced);
          observe('ok');
          return result;
        } catch (error) {
          observe(isConflict(error) ? 'conflict' : 'error');
          span.setStatus({
            code: SpanStatusCode.ERROR,
            message: error instanceof Error ? error.name : 'error',
          });
          throw error;
        } finally {
          span.end();
        }
      },
    );
  const append: EventStore['append'] = (streamId, events, options) =>
    measured('event-store append', events, (traced) =>
      store.append(streamId, traced(events), options),
    );
  const appendToStreams: EventStore['appendToStreams'] = (appends) =>
    measured(
      'event-store append to streams',
      appends.flatMap(({ events }) => events),
      (traced) =>
        store.appendToStreams(appends.map((part) => ({ ...part, events: traced(part.events) }))),
    );
  // A Proxy rather than a class: every other member (checkpoints, the optional bulk
  // appender, whatever a wrapped store adds) passes through untouched, bound to the store.
  // A property assigned to the wrapper shadows the store's on the wrapper only, as on a
  // plain object (so a spec can still spy on `append` of the store the API holds).
  const own = new Map<PropertyKey, unknown>();
  return new Proxy(store, {
    set(_target, property, value) {
      own.set(property, value);
      return true;
    },
    defineProperty(_target, property, descriptor) {
      own.set(property, descriptor.value ?? descriptor.get?.());
      return true;
    },
    deleteProperty(_target, property) {
      return own.delete(property);
    },
    get(target, property) {
      if (own.has(property)) return own.get(property);
      if (property === 'append') return append;
      if (property === 'appendToStreams') return appendToStreams;
      const value: unknown = Reflect.get(target, property, target);
      return typeof value === 'function'
        ? (value as (...a: unknown[]) => unknown).bind(target)
        : value;
    },
  });
}
