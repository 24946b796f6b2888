import { validate as isUuid } from 'uuid';
import {
  checkpointEvent,
  decodeCheckpoint,
  keepLatestOnlyMetadataEvent,
} from './kurrentdb-checkpoint-events';
import { KurrentDbRecordError, type KurrentRecord } from './kurrentdb-event-codec';
import { CHECKPOINT_EVENT_TYPE, checkpointStreamName } from './kurrentdb-filters';
import { MAX_GLOBAL_POSITION } from './kurrentdb-positions';

const created = new Date('2025-06-01T12:00:00.000Z');

function recorded(data: unknown, overrides: Partial<KurrentRecord> = {}): KurrentRecord {
  return {
    streamId: checkpointStreamName('relay'),
    id: '0197a0e2-0000-7000-8000-000000000000',
    revision: 12n,
    type: CHECKPOINT_EVENT_TYPE,
    created,
    isJson: true,
    data,
    metadata: undefined,
    ...overrides,
  };
}

describe('KurrentDB checkpoint events', () => {
  it('writes the position as a decimal string, exact beyond 2^53', () => {
    const event = checkpointEvent(MAX_GLOBAL_POSITION);
    expect(event).toMatchObject({
      contentType: 'application/json',
      type: CHECKPOINT_EVENT_TYPE,
      data: { position: '9223372036854775807' },
    });
    expect(isUuid(event.id)).toBe(true);
    expect(checkpointEvent(5n).id).not.toBe(checkpointEvent(5n).id);
  });

  it('reads back the position, the record time and the revision for the next save', () => {
    const data = JSON.parse(
      JSON.stringify(checkpointEvent(9_007_199_254_740_993n).data),
    ) as unknown;
    expect(decodeCheckpoint('relay', recorded(data))).toEqual({
      checkpoint: { name: 'relay', position: 9_007_199_254_740_993n, updatedAt: created },
      revision: 12n,
    });
    expect(decodeCheckpoint('relay', recorded({ position: '0' })).checkpoint.position).toBe(0n);
  });

  it('limits a checkpoint stream to its latest event with the $maxCount stream metadata', () => {
    expect(keepLatestOnlyMetadataEvent()).toMatchObject({
      contentType: 'application/json',
      type: '$metadata',
      data: { $maxCount: 1 },
    });
  });

  it('refuses positions it cannot write', () => {
    expect(() => checkpointEvent(-1n)).toThrow(RangeError);
    expect(() => checkpointEvent(MAX_GLOBAL_POSITION + 1n)).toThrow(RangeError);
  });

  it.each<[string, unknown, Partial<KurrentRecord>]>([
    ['a number (inexact above 2^53)', { position: 5 }, {}],
    ['a negative number', { position: '-5' }, {}],
    ['leading zeros', { position: '007' }, {}],
    ['no position', {}, {}],
    ['raw text', 'not json', {}],
    ['a position above 2^63-1', { position: '9223372036854775808' }, {}],
    ['another event type', { position: '5' }, { type: 'LeadCaptured' }],
  ])('refuses a checkpoint event with %s', (_why, data, overrides) => {
    expect(() => decodeCheckpoint('relay', recorded(data, overrides))).toThrow(
      KurrentDbRecordError,
    );
  });
});
