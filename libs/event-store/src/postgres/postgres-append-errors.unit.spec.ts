import {
  DuplicateEventIdError,
  InvalidAppendError,
  WrongExpectedRevisionError,
} from '../event-store.errors';
import { translateAppendError } from './postgres-append-errors';

/** The shape node-postgres and PGlite give a server error. */
function serverError(fields: { code: string; detail?: string; constraint?: string }): Error {
  return Object.assign(new Error('server said no'), fields);
}

describe('translateAppendError', () => {
  it('maps TD001 to WrongExpectedRevisionError with the actual revision from DETAIL', () => {
    const error = translateAppendError(serverError({ code: 'TD001', detail: '7' }), 's-1', '3');
    expect(error).toBeInstanceOf(WrongExpectedRevisionError);
    expect(error).toMatchObject({ streamId: 's-1', expected: '3', actual: 7n });
  });

  it('maps TD001 with an empty DETAIL to actual null (no stream)', () => {
    const error = translateAppendError(serverError({ code: 'TD001', detail: '' }), 's-1', '0');
    expect(error).toMatchObject({ actual: null });
  });

  it('maps TD002 and the event-id unique violation to DuplicateEventIdError', () => {
    const id = '0190f000-0000-7000-8000-000000000001';
    expect(translateAppendError(serverError({ code: 'TD002', detail: id }), 's', 'any')).toEqual(
      new DuplicateEventIdError(id),
    );
    const backstop = translateAppendError(
      serverError({
        code: '23505',
        constraint: 'events_event_id_unique',
        detail: `Key (event_id)=(${id}) already exists.`,
      }),
      's',
      'any',
    );
    expect(backstop).toMatchObject({ eventId: id });
  });

  it('maps TD003 and data exceptions (class 22) to InvalidAppendError', () => {
    for (const code of ['TD003', '22P02', '22P05']) {
      expect(translateAppendError(serverError({ code }), 's', 'any')).toBeInstanceOf(
        InvalidAppendError,
      );
    }
  });

  it('maps a revision unique violation (a bulk append created the stream) to WrongExpectedRevisionError', () => {
    const error = translateAppendError(
      serverError({ code: '23505', constraint: 'events_stream_revision_unique' }),
      's',
      'no_stream',
    );
    expect(error).toBeInstanceOf(WrongExpectedRevisionError);
    expect(error).toMatchObject({ streamId: 's', actual: null });
  });

  it('returns anything else unchanged', () => {
    const other = [
      serverError({ code: '23505', constraint: 'some_other_unique' }),
      serverError({ code: '57P01' }),
      new Error('socket hang up'),
      'not even an error',
    ];
    for (const error of other) expect(translateAppendError(error, 's', 'any')).toBe(error);
  });
});
