import { v7 as uuidv7 } from 'uuid';
import { InvalidAppendError } from '../event-store.errors';
import type { EventToAppend } from '../event-store.port';
import {
  KurrentDbRecordError,
  SCHEMA_VERSION_KEY,
  decodeRecord,
  toEventData,
  type KurrentRecord,
} from './kurrentdb-event-codec';
import { CHECKPOINT_EVENT_TYPE, checkpointStreamName } from './kurrentdb-filters';
import { UnrepresentablePositionError } from './kurrentdb-positions';

const created = new Date('2025-06-01T12:00:00.000Z');

function anEvent(overrides: Partial<EventToAppend> = {}): EventToAppend {
  return {
    eventId: uuidv7(),
    type: 'LeadCaptured',
    schemaVersion: 3,
    data: { contact: { name: 'Zoë', email: 'zoe@example.com' }, budget: 18_500.75, tags: [] },
    metadata: { correlationId: uuidv7(), actor: 'spec', emoji: '🚗' },
    ...overrides,
  };
}

/** What the client hands back after the event went over the wire and into the log. */
function asRecorded(event: EventToAppend, overrides: Partial<KurrentRecord> = {}): KurrentRecord {
  const sent = toEventData(event, 'lead-1');
  return {
    streamId: 'lead-1',
    id: sent.id,
    revision: 4n,
    type: sent.type,
    created,
    isJson: true,
    data: JSON.parse(JSON.stringify(sent.data)) as unknown,
    metadata: JSON.parse(JSON.stringify(sent.metadata)) as unknown,
    position: { commit: 7_340n, prepare: 7_340n },
    ...overrides,
  };
}

describe('KurrentDB event codec', () => {
  describe('toEventData', () => {
    it('sends a JSON event with the Tandem id and the schema version folded into metadata', () => {
      const event = anEvent();
      expect(toEventData(event, 'lead-1')).toEqual({
        id: event.eventId,
        contentType: 'application/json',
        type: 'LeadCaptured',
        data: event.data,
        metadata: { ...event.metadata, [SCHEMA_VERSION_KEY]: 3 },
      });
    });

    it('does not pass on extra properties of the caller object', () => {
      const event = { ...anEvent(), streamRevision: 9n } as EventToAppend;
      expect(Object.keys(toEventData(event, 'lead-1')).sort()).toEqual([
        'contentType',
        'data',
        'id',
        'metadata',
        'type',
      ]);
    });

    it('refuses metadata that already uses the schema-version key', () => {
      const event = anEvent({ metadata: { [SCHEMA_VERSION_KEY]: 1 } });
      expect(() => toEventData(event, 'lead-1')).toThrow(InvalidAppendError);
    });
  });

  describe('decodeRecord', () => {
    it('restores every field the event was appended with', () => {
      const event = anEvent();
      const decoded = decodeRecord(asRecorded(event));
      expect(decoded).toEqual({
        kind: 'tandem',
        event: {
          ...event,
          streamId: 'lead-1',
          streamRevision: 4n,
          globalPosition: 7_340n,
          recordedAt: created,
        },
      });
    });

    it('restores an empty metadata object', () => {
      const event = anEvent({ metadata: {} });
      const decoded = decodeRecord(asRecorded(event));
      expect(decoded.kind === 'tandem' && decoded.event.metadata).toEqual({});
    });

    it('gives back the event id in the lower-case form Tandem appends', () => {
      const event = anEvent();
      const decoded = decodeRecord(asRecorded(event, { id: event.eventId.toUpperCase() }));
      expect(decoded.kind === 'tandem' && decoded.event.eventId).toBe(event.eventId);
    });

    it.each<[string, Partial<KurrentRecord>]>([
      ['metadata without the marker', { metadata: { correlationId: 'x' } }],
      ['no metadata at all', { metadata: undefined }],
      ['binary metadata', { metadata: new Uint8Array([1, 2]) }],
      ['a binary event', { isJson: false, data: new Uint8Array([1]) }],
      ['a system event type', { type: '$>' }],
      ['a system stream', { streamId: '$et-LeadCaptured' }],
      ['a checkpoint event', { type: CHECKPOINT_EVENT_TYPE }],
      ['an event in a checkpoint stream', { streamId: checkpointStreamName('relay') }],
    ])('treats %s as foreign', (_why, overrides) => {
      expect(decodeRecord(asRecorded(anEvent(), overrides))).toMatchObject({ kind: 'foreign' });
    });

    it.each<[string, Partial<KurrentRecord>]>([
      ['a schema version that is not a positive integer', { metadata: { $schemaVersion: '3' } }],
      ['a schema version of 0', { metadata: { $schemaVersion: 0 } }],
      ['data that is not JSON (the client returns the raw text)', { data: 'not json' }],
      ['data that is an array', { data: [1, 2] }],
    ])('refuses a marked event with %s', (_why, overrides) => {
      expect(() => decodeRecord(asRecorded(anEvent(), overrides))).toThrow(KurrentDbRecordError);
    });

    it('refuses a marked event whose position the port cannot carry', () => {
      const legacy = asRecorded(anEvent(), { position: { commit: 900n, prepare: 700n } });
      expect(() => decodeRecord(legacy)).toThrow(UnrepresentablePositionError);
      expect(() => decodeRecord(asRecorded(anEvent(), { position: undefined }))).toThrow(
        /lead-1@4\).*no \$all position/,
      );
    });
  });
});
