import { InvalidAppendError } from './event-store.errors';
import type { ExpectedRevision } from './event-store.port';
import { MAX_REVISION, formatExpectedRevision } from './expected-revision';

describe('formatExpectedRevision', () => {
  it.each<[ExpectedRevision, string]>([
    ['any', 'any'],
    ['no_stream', 'no_stream'],
    ['stream_exists', 'stream_exists'],
    [0n, '0'],
    [41n, '41'],
    [MAX_REVISION, '9223372036854775807'],
  ])('formats %p as %p', (expected, text) => {
    expect(formatExpectedRevision(expected)).toBe(text);
  });

  it('refuses revisions outside 0..2^63-1', () => {
    expect(() => formatExpectedRevision(-1n)).toThrow(InvalidAppendError);
    expect(() => formatExpectedRevision(MAX_REVISION + 1n)).toThrow(InvalidAppendError);
  });

  it('refuses values the type does not allow, from untyped callers', () => {
    for (const value of ['latest', '3', 3, null, undefined]) {
      expect(() => formatExpectedRevision(value as unknown as ExpectedRevision)).toThrow(
        InvalidAppendError,
      );
    }
  });
});
