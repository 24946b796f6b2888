import { nullableBigintColumn, toCheckpoint, toRecordedEvent } from './postgres-event-rows';

describe('event rows', () => {
  const row = {
    global_position: '9007199254740993',
    stream_id: 'lead-1',
    stream_revision: '0',
    event_id: '0190f000-0000-7000-8000-000000000001',
    event_type: 'LeadCaptured',
    schema_version: 2,
    data: { email: 'a@example.com' },
    metadata: { actor: 'unit' },
    recorded_at: new Date('2025-01-01T00:00:00Z'),
  };

  it('maps a row without losing bigint precision', () => {
    expect(toRecordedEvent(row)).toEqual({
      globalPosition: 9007199254740993n,
      streamId: 'lead-1',
      streamRevision: 0n,
      eventId: row.event_id,
      type: 'LeadCaptured',
      schemaVersion: 2,
      data: row.data,
      metadata: row.metadata,
      recordedAt: row.recorded_at,
    });
  });

  it('refuses a column of an unexpected type instead of guessing', () => {
    expect(() => toRecordedEvent({ ...row, global_position: 5 })).toThrow(/global_position/);
    expect(() => toRecordedEvent({ ...row, data: '{}' })).toThrow(/data/);
    expect(() => toRecordedEvent({ ...row, recorded_at: '2025-01-01' })).toThrow(/recorded_at/);
  });

  it('maps checkpoints and empty aggregates', () => {
    const updatedAt = new Date();
    expect(toCheckpoint({ name: 'relay', position: '12', updated_at: updatedAt })).toEqual({
      name: 'relay',
      position: 12n,
      updatedAt,
    });
    expect(nullableBigintColumn({ head: null }, 'head')).toBeNull();
  });
});
