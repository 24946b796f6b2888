import {
  ANY,
  NO_STREAM,
  STREAM_EXISTS,
  StreamDeletedError,
  WrongExpectedVersionError,
  type AppendStreamState,
  type CurrentStreamState,
} from '@kurrent/kurrentdb-client';
import { InvalidAppendError, WrongExpectedRevisionError } from '../event-store.errors';
import type { ExpectedRevision } from '../event-store.port';
import { MAX_REVISION } from '../expected-revision';
import {
  toActualRevision,
  toStreamState,
  translateAppendError,
} from './kurrentdb-expected-revision';

function wrongExpectedVersion(
  expected: AppendStreamState,
  current: CurrentStreamState,
): WrongExpectedVersionError {
  return new WrongExpectedVersionError(undefined, { streamName: 'lead-1', expected, current });
}

describe('KurrentDB expected revision', () => {
  it.each<[ExpectedRevision, AppendStreamState]>([
    ['any', ANY],
    ['no_stream', NO_STREAM],
    ['stream_exists', STREAM_EXISTS],
    [0n, 0n],
    [41n, 41n],
    [MAX_REVISION, MAX_REVISION],
  ])('maps %p to the stream state %p', (expected, state) => {
    expect(toStreamState(expected)).toBe(state);
  });

  it('refuses what the port does not allow instead of sending ANY', () => {
    for (const value of [-1n, MAX_REVISION + 1n, 'latest', '3', 3, null, undefined]) {
      expect(() => toStreamState(value as unknown as ExpectedRevision)).toThrow(InvalidAppendError);
    }
  });

  describe('translateAppendError', () => {
    it('reports the revision the stream is at', () => {
      const error = translateAppendError(wrongExpectedVersion(5n, 2n), 'lead-1', 5n);
      expect(error).toBeInstanceOf(WrongExpectedRevisionError);
      expect(error).toMatchObject({ streamId: 'lead-1', expected: '5', actual: 2n });
    });

    it('reports a missing stream as actual null', () => {
      expect(
        translateAppendError(
          wrongExpectedVersion(STREAM_EXISTS, NO_STREAM),
          'lead-1',
          'stream_exists',
        ),
      ).toMatchObject({ expected: 'stream_exists', actual: null });
      expect(translateAppendError(wrongExpectedVersion(0n, -1n), 'lead-1', 0n)).toMatchObject({
        expected: '0',
        actual: null,
      });
    });

    it("keeps the port's own words for the expectation", () => {
      const error = translateAppendError(
        wrongExpectedVersion(NO_STREAM, 0n),
        'lead-1',
        'no_stream',
      );
      expect(error).toMatchObject({ expected: 'no_stream', actual: 0n });
      expect((error as Error).message).toBe(
        'stream lead-1: expected revision no_stream, but the stream is at 0',
      );
    });

    it('returns every other error unchanged', () => {
      const deleted = StreamDeletedError.fromStreamName('lead-1');
      const plain = new Error('14 UNAVAILABLE');
      expect(translateAppendError(deleted, 'lead-1', 'any')).toBe(deleted);
      expect(translateAppendError(plain, 'lead-1', 'any')).toBe(plain);
      expect(translateAppendError('text', 'lead-1', 'any')).toBe('text');
    });
  });

  it('toActualRevision keeps real revisions', () => {
    expect(toActualRevision(0n)).toBe(0n);
    expect(toActualRevision(17n)).toBe(17n);
    expect(toActualRevision(NO_STREAM)).toBeNull();
  });
});
