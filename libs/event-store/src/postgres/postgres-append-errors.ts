/**
 * Turns what PostgreSQL raises during an append into the port's typed errors, so
 * callers never need to know SQLSTATEs. Pure: it looks only at the error's fields.
 * It must never swallow an error it does not recognise — those are returned as is.
 */
import {
  DuplicateEventIdError,
  InvalidAppendError,
  WrongExpectedRevisionError,
} from '../event-store.errors';
import { APPEND_ERROR_CODES } from './postgres-event-store.sql';

/** The fields node-postgres and PGlite both put on a server error. */
interface ServerErrorFields {
  readonly code: string;
  readonly message: string;
  readonly detail?: unknown;
  readonly constraint?: unknown;
  readonly hint?: unknown;
}

/**
 * The same translation for a bulk append to new streams (postgres-bulk-append.ts): what its
 * COPY can raise is a unique violation (an event id already stored, or a stream someone else
 * created meanwhile) or a value a column refused.
 */
export function translateBulkAppendError(error: unknown): unknown {
  return translateAppendError(error, 'new streams (bulk)', 'no_stream');
}

export function translateAppendError(error: unknown, streamId: string, expected: string): unknown {
  if (!isServerError(error)) return error;
  const detail = typeof error.detail === 'string' ? error.detail : '';
  switch (error.code) {
    case APPEND_ERROR_CODES.wrongExpectedRevision:
      return new WrongExpectedRevisionError(
        streamId,
        expected,
        detail === '' ? null : BigInt(detail),
      );
    case APPEND_ERROR_CODES.conditionFailed:
      return conditionError(detail) ?? error;
    case APPEND_ERROR_CODES.duplicateEventId:
      return new DuplicateEventIdError(detail);
    case APPEND_ERROR_CODES.invalidAppend:
      return new InvalidAppendError(`append to ${streamId}: ${error.message}`);
    case '23505':
      // Two appends of one event id to different streams at once: the second lands here.
      if (error.constraint === 'events_event_id_unique') {
        return new DuplicateEventIdError(/\(event_id\)=\(([^)]+)\)/.exec(detail)?.[1] ?? 'unknown');
      }
      // A bulk append created the stream while this append ran (bulk takes no stream lock).
      if (error.constraint === 'events_stream_revision_unique') {
        return new WrongExpectedRevisionError(streamId, expected, null);
      }
      return error;
    default:
      // Class 22 (data exception): a value the column type refused, e.g. an unstorable string.
      if (error.code.startsWith('22')) {
        return new InvalidAppendError(`append to ${streamId}: ${error.message}`);
      }
      return error;
  }
}

/** The refusal of `append_events_if`: the condition's stream, what was expected, what it held. */
function conditionError(detail: string): WrongExpectedRevisionError | null {
  let parsed: unknown;
  try {
    parsed = JSON.parse(detail);
  } catch {
    return null;
  }
  if (typeof parsed !== 'object' || parsed === null) return null;
  const { streamId, expected, actual } = parsed as Record<string, unknown>;
  if (typeof streamId !== 'string' || typeof expected !== 'string') return null;
  return new WrongExpectedRevisionError(
    streamId,
    expected,
    typeof actual === 'string' ? BigInt(actual) : null,
  );
}

/** An error the server raised (it has a SQLSTATE), as opposed to a driver or connection failure. */
export function isServerError(error: unknown): error is ServerErrorFields {
  if (!(error instanceof Error)) return false;
  const code: unknown = (error as Error & { code?: unknown }).code;
  return typeof code === 'string' && code.length === 5;
}
