/**
 * Checks an append before any adapter sends it, so every engine rejects the same
 * inputs with the same InvalidAppendError instead of its own driver error.
 * It must never mutate or normalise the events: what is checked is what gets stored.
 */
import { isStorableText } from '@tandem/domain';
import { validate as isUuid } from 'uuid';
import { InvalidAppendError } from './event-store.errors';
import type { EventToAppend, StreamAppend, StreamCondition } from './event-store.port';
import { formatExpectedRevision } from './expected-revision';

const MAX_STREAM_ID_LENGTH = 255;
const MAX_TYPE_LENGTH = 255;
const MAX_INT4 = 2 ** 31 - 1;
/** A decision depends on a few other streams (a merge: one); more is a caller's bug. */
export const MAX_CONDITIONS = 16;

export function validateAppend(streamId: string, events: readonly EventToAppend[]): void {
  validateStreamId(streamId);
  const batch: unknown = events; // untyped callers (JSON bodies) reach this too
  if (!Array.isArray(batch) || events.length === 0) {
    throw new InvalidAppendError(`append to ${streamId}: the batch is empty`);
  }
  const seen = new Set<string>();
  events.forEach((event, index) => {
    const where = `append to ${streamId}, event #${index}`;
    if (typeof event.eventId !== 'string' || !isUuid(event.eventId)) {
      throw new InvalidAppendError(`${where}: eventId ${String(event.eventId)} is not a UUID`);
    }
    // Engines store UUIDs as 16 bytes and read them back lower-case; accept only that form
    // so an event id reads back exactly as it was written.
    if (event.eventId !== event.eventId.toLowerCase()) {
      throw new InvalidAppendError(`${where}: eventId ${event.eventId} must be lower-case`);
    }
    if (seen.has(event.eventId)) {
      throw new InvalidAppendError(`${where}: eventId ${event.eventId} appears twice in the batch`);
    }
    seen.add(event.eventId);
    if (typeof event.type !== 'string' || event.type.length === 0) {
      throw new InvalidAppendError(`${where}: type must be a non-empty string`);
    }
    if (event.type.length > MAX_TYPE_LENGTH) {
      throw new InvalidAppendError(`${where}: type is longer than ${MAX_TYPE_LENGTH} characters`);
    }
    if (!Number.isInteger(event.schemaVersion) || event.schemaVersion < 1) {
      throw new InvalidAppendError(`${where}: schemaVersion must be a positive integer`);
    }
    if (event.schemaVersion > MAX_INT4) {
      throw new InvalidAppendError(`${where}: schemaVersion is too large`);
    }
    const dataProblem = describeNonJsonObject(event.data);
    if (dataProblem !== null) throw new InvalidAppendError(`${where}: data ${dataProblem}`);
    const metadataProblem = describeNonJsonObject(event.metadata);
    if (metadataProblem !== null) {
      throw new InvalidAppendError(`${where}: metadata ${metadataProblem}`);
    }
  });
}

/**
 * The other streams an append depends on (`AppendOptions.conditions`): valid ids, each named
 * once, never the appended stream itself (its own check is the expected revision), valid
 * expected revisions. Returns them as given, `[]` when absent.
 */
export function validateConditions(
  streamId: string,
  conditions: readonly StreamCondition[] | undefined,
): readonly StreamCondition[] {
  if (conditions === undefined) return [];
  const given: unknown = conditions; // untyped callers reach this too
  if (!Array.isArray(given)) {
    throw new InvalidAppendError(`append to ${streamId}: conditions must be an array`);
  }
  if (conditions.length > MAX_CONDITIONS) {
    throw new InvalidAppendError(
      `append to ${streamId}: at most ${MAX_CONDITIONS} conditions, got ${conditions.length}`,
    );
  }
  const seen = new Set<string>([streamId]);
  for (const condition of conditions) {
    const other: unknown = condition;
    if (typeof other !== 'object' || other === null) {
      throw new InvalidAppendError(`append to ${streamId}: a condition must be an object`);
    }
    validateStreamId(condition.streamId);
    if (seen.has(condition.streamId)) {
      throw new InvalidAppendError(
        condition.streamId === streamId
          ? `append to ${streamId}: a condition cannot name the appended stream`
          : `append to ${streamId}: stream ${condition.streamId} is named by two conditions`,
      );
    }
    seen.add(condition.streamId);
    formatExpectedRevision(condition.expectedRevision);
  }
  return conditions;
}

/** Streams one atomic multi-stream append may write: as many as an append's conditions. */
export const MAX_STREAMS_PER_APPEND = MAX_CONDITIONS;

/**
 * An atomic multi-stream append (`appendToStreams`): 1 to 16 streams, each named once, each
 * a valid append of its own, no event id twice across the streams, valid expected revisions.
 */
export function validateStreamAppends(appends: readonly StreamAppend[]): void {
  const given: unknown = appends; // untyped callers reach this too
  if (!Array.isArray(given) || appends.length === 0) {
    throw new InvalidAppendError('append to streams: no stream given');
  }
  if (appends.length > MAX_STREAMS_PER_APPEND) {
    throw new InvalidAppendError(
      `append to streams: at most ${MAX_STREAMS_PER_APPEND} streams, got ${appends.length}`,
    );
  }
  const streams = new Set<string>();
  const ids = new Set<string>();
  for (const append of appends) {
    const part: unknown = append;
    if (typeof part !== 'object' || part === null) {
      throw new InvalidAppendError('append to streams: each part must be an object');
    }
    validateAppend(append.streamId, append.events);
    if (streams.has(append.streamId)) {
      throw new InvalidAppendError(`append to streams: stream ${append.streamId} is named twice`);
    }
    streams.add(append.streamId);
    formatExpectedRevision(append.expectedRevision);
    for (const { eventId } of append.events) {
      if (ids.has(eventId)) {
        throw new InvalidAppendError(`append to streams: eventId ${eventId} appears twice`);
      }
      ids.add(eventId);
    }
  }
}

export function validateStreamId(streamId: string): void {
  if (typeof streamId !== 'string' || streamId.length === 0) {
    throw new InvalidAppendError('stream id must be a non-empty string');
  }
  if (streamId.length > MAX_STREAM_ID_LENGTH) {
    throw new InvalidAppendError(`stream id is longer than ${MAX_STREAM_ID_LENGTH} characters`);
  }
  // KurrentDB reserves `$`-prefixed names for system streams; keep ids portable across adapters.
  if (streamId.startsWith('$')) {
    throw new InvalidAppendError(`stream id ${streamId}: names starting with $ are reserved`);
  }
  if (hasControlCharacter(streamId)) {
    throw new InvalidAppendError('stream id must not contain control characters');
  }
}

/**
 * `null` when `value` is a plain JSON object that survives a JSON round trip unchanged;
 * otherwise why not. JSON.stringify would silently drop `undefined`, turn NaN into
 * null and Dates into strings — data loss we refuse rather than store.
 */
export function describeNonJsonObject(value: unknown): string | null {
  if (!isPlainObject(value)) return 'must be a JSON object';
  return describeNonJson(value, [], new Set());
}

/**
 * `path` holds the keys and indexes down to `value`; it is spelled out (`$.a[0].b`) only for
 * a problem: this walk runs over every value of every event appended.
 */
function describeNonJson(
  value: unknown,
  path: (string | number)[],
  ancestors: Set<object>,
): string | null {
  if (value === null || typeof value === 'boolean') return null;
  if (typeof value === 'string') {
    // PostgreSQL's jsonb cannot store U+0000 nor a lone surrogate half; reject them everywhere
    // for portable events (the store's json columns would take both: this is the check).
    if (value.includes('\u0000')) return `has a NUL character at ${spelled(path)}`;
    return isStorableText(value) ? null : `has a lone surrogate half at ${spelled(path)}`;
  }
  if (typeof value === 'number') {
    return Number.isFinite(value) ? null : `has a non-finite number at ${spelled(path)}`;
  }
  if (typeof value !== 'object') return `has a ${typeof value} at ${spelled(path)}`;
  if (ancestors.has(value)) return `has a cycle at ${spelled(path)}`;
  if (!Array.isArray(value) && !isPlainObject(value)) {
    return `has a non-plain object (${value.constructor?.name ?? 'unknown'}) at ${spelled(path)}`;
  }
  ancestors.add(value);
  try {
    if (Array.isArray(value)) {
      for (let i = 0; i < value.length; i += 1) {
        path.push(i);
        const problem = describeNonJson(value[i], path, ancestors);
        path.pop();
        if (problem !== null) return problem;
      }
      return null;
    }
    for (const key in value) {
      if (!Object.hasOwn(value, key)) continue;
      if (key.includes('\u0000')) return `has a NUL character in a key at ${spelled(path)}`;
      if (!isStorableText(key)) return `has a lone surrogate half in a key at ${spelled(path)}`;
      path.push(key);
      const problem = describeNonJson(value[key], path, ancestors);
      path.pop();
      if (problem !== null) return problem;
    }
    return null;
  } finally {
    ancestors.delete(value);
  }
}

function spelled(path: readonly (string | number)[]): string {
  return path.reduce<string>(
    (text, step) => (typeof step === 'number' ? `${text}[${step}]` : `${text}.${step}`),
    '$',
  );
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const prototype: unknown = Object.getPrototypeOf(value);
  return prototype === Object.prototype || prototype === null;
}

function hasControlCharacter(text: string): boolean {
  for (let i = 0; i < text.length; i += 1) {
    const code = text.charCodeAt(i);
    if (code < 0x20 || code === 0x7f) return true;
  }
  return false;
}
