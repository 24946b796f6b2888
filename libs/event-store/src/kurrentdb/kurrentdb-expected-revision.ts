/**
 * The port's expected revision as KurrentDB's stream state, and KurrentDB's
 * "wrong expected version" as the port's WrongExpectedRevisionError. Both sides use
 * the same four cases (any, no stream, stream exists, exact revision of the last
 * event), so the mapping is one to one.
 * It must never widen a check (an unknown value is refused, never sent as ANY), and
 * never swallow an error it does not recognise: those are returned unchanged.
 */
import {
  ANY,
  AppendConsistencyViolationError,
  NO_STREAM,
  STREAM_EXISTS,
  UnsupportedError,
  WrongExpectedVersionError,
  type AppendStreamState,
  type CurrentStreamState,
} from '@kurrent/kurrentdb-client';
import { WrongExpectedRevisionError } from '../event-store.errors';
import type { ExpectedRevision, StreamAppend, StreamCondition } from '../event-store.port';
import { formatExpectedRevision } from '../expected-revision';

export function toStreamState(expected: ExpectedRevision): AppendStreamState {
  // Validates the value (range, unknown strings from untyped callers) before mapping it.
  formatExpectedRevision(expected);
  if (typeof expected === 'bigint') return expected;
  switch (expected) {
    case 'any':
      return ANY;
    case 'no_stream':
      return NO_STREAM;
    case 'stream_exists':
      return STREAM_EXISTS;
  }
}

/** The port's `actual`: the revision of the stream's last event, `null` when there is none. */
export function toActualRevision(current: CurrentStreamState): bigint | null {
  // Some server paths report "no stream" as -1 rather than as the no_stream case.
  return current === NO_STREAM || current < 0n ? null : current;
}

export function translateAppendError(
  error: unknown,
  streamId: string,
  expected: ExpectedRevision,
): unknown {
  if (!(error instanceof WrongExpectedVersionError)) return error;
  return new WrongExpectedRevisionError(
    streamId,
    formatExpectedRevision(expected),
    toActualRevision(error.actualState),
  );
}

/**
 * A refused conditional append (`appendRecords`, ADR 0015) as the port's error: the appended
 * stream's own violation first (the caller's expected revision), else the first condition that
 * failed, naming that stream. A server older than 26.1 is said so plainly.
 */
export function translateConditionalAppendError(
  error: unknown,
  streamId: string,
  expected: ExpectedRevision,
  conditions: readonly StreamCondition[],
): unknown {
  if (error instanceof UnsupportedError) {
    return new Error(
      `append to ${streamId} with conditions on other streams needs KurrentDB ${error.minimumVersion} ` +
        'or later (appendRecords with consistency checks)',
      { cause: error },
    );
  }
  if (!(error instanceof AppendConsistencyViolationError)) {
    return translateAppendError(error, streamId, expected);
  }
  const violation = error.violations.find((v) => v.streamName === streamId) ?? error.violations[0];
  if (violation === undefined) return error;
  const wanted =
    violation.streamName === streamId
      ? expected
      : conditions.find((c) => c.streamId === violation.streamName)?.expectedRevision;
  if (wanted === undefined) return error;
  return new WrongExpectedRevisionError(
    violation.streamName,
    formatExpectedRevision(wanted),
    toActualRevision(violation.actualState),
  );
}

/**
 * A refused `multiStreamAppend` (ADR 0016) as the port's error, naming the stream whose
 * expected state did not hold. A server older than 25.1 is said so plainly.
 */
export function translateMultiStreamAppendError(
  error: unknown,
  appends: readonly StreamAppend[],
): unknown {
  if (error instanceof UnsupportedError) {
    return new Error(
      `an atomic append to several streams needs KurrentDB ${error.minimumVersion} or later ` +
        '(multiStreamAppend); this server is older',
      { cause: error },
    );
  }
  if (!(error instanceof WrongExpectedVersionError)) return error;
  const refused = appends.find(({ streamId }) => streamId === error.streamName) ?? appends[0];
  if (refused === undefined) return error;
  return new WrongExpectedRevisionError(
    refused.streamId,
    formatExpectedRevision(refused.expectedRevision),
    toActualRevision(error.actualState),
  );
}
