import {
  checkEventForStore,
  decodeStoredEvent,
  encodeForStore,
  leadEventUpcasters,
  type StoredMetadata,
} from './envelope.codec';
import { currentSchemaVersions } from './event-schemas';
import type { TandemEvent } from './tandem-event';

const metadata = (occurredAt: string) => ({
  leadId: 'hubspot:1',
  accountId: null,
  occurredAt,
  correlationId: 'c-1',
  causationId: null,
  actor: { kind: 'system', id: 'import', role: 'system' },
});
const won = (amount: unknown) => ({
  type: 'DealWon',
  data: { opportunityId: 'opp-1', amount, currency: 'EUR' },
});

describe('checkEventForStore', () => {
  it('accepts an event the decoder accepts', () => {
    expect(checkEventForStore(won(1200.5), metadata('1900-01-01T00:00:00.000Z'))).toEqual({
      ok: true,
    });
  });

  it('names each refused field, in the payload and in the envelope', () => {
    const check = checkEventForStore(won(1.23456), metadata('1899-12-31T23:59:59.999Z'));
    expect(check.ok).toBe(false);
    if (check.ok) return;
    expect(check.issues.map((issue) => issue.field)).toEqual(['data.amount', 'occurredAt']);
    expect(check.issues[0]?.message).toMatch(/at most 4 decimals/);
    expect(check.issues[1]?.message).toMatch(/1900-01-01/);
  });

  it('refuses an unknown type by name', () => {
    expect(
      checkEventForStore({ type: 'LeadTeleported', data: {} }, metadata('2026-01-01T00:00:00Z')),
    ).toEqual({
      ok: false,
      issues: [{ field: 'type', message: 'unknown event type LeadTeleported' }],
    });
  });

  it('agrees with the decoder on what it refuses', () => {
    for (const [amount, occurredAt] of [
      [1.5, '2026-01-01T00:00:00.000Z'],
      [1.23456, '2026-01-01T00:00:00.000Z'],
      [1.5, '2300-01-01T00:00:00.000Z'],
      [-1, '2026-01-01T00:00:00.000Z'],
    ] as const) {
      const event = won(amount);
      const decoded = decodeStoredEvent({
        eventId: '0190d0b0-0000-7000-8000-000000000001',
        type: event.type,
        schemaVersion: 1,
        streamId: 'lead-hubspot:1',
        streamRevision: 0n,
        globalPosition: 1n,
        recordedAt: new Date('2026-01-01T00:00:00.000Z'),
        data: event.data,
        metadata: metadata(occurredAt),
      });
      expect(checkEventForStore(event, metadata(occurredAt)).ok).toBe(decoded.ok);
    }
  });
});

describe('LeadCaptured versions: v1 is lifted to v2', () => {
  const stored = (schemaVersion: number, content: unknown) => ({
    eventId: '0190d0b0-0000-7000-8000-000000000002',
    type: 'LeadCaptured',
    schemaVersion,
    streamId: 'lead-hubspot:1',
    streamRevision: 0n,
    globalPosition: 2n,
    recordedAt: new Date('2026-01-01T00:00:00.000Z'),
    data: {
      contact: { name: 'Grace', email: 'grace@navy.example' },
      company: { name: 'Navy' },
      source: { channel: 'email', content },
      productInterest: null,
      timeframe: null,
      consent: { marketing: true },
    },
    metadata: metadata('2026-01-01T00:00:00.000Z'),
  });
  const sealed = { $pii: 'v1:AAAA' };

  it('is at version 2 now, with an upcaster from 1', () => {
    expect(currentSchemaVersions.LeadCaptured).toBe(2);
    expect(leadEventUpcasters.LeadCaptured?.[1]).toBeDefined();
    expect(
      encodeForStore({ type: 'LeadCaptured', data: stored(2, 'x').data } as TandemEvent, {
        eventId: 'e',
        ...(metadata('2026-01-01T00:00:00.000Z') as StoredMetadata),
      }).schemaVersion,
    ).toBe(2);
  });

  it('decodes a v1 capture, its plain content unchanged, as a v2 envelope', () => {
    const decoded = decodeStoredEvent(stored(1, 'grace@navy.example'));
    expect(decoded.ok).toBe(true);
    if (!decoded.ok) return;
    expect(decoded.envelope.schemaVersion).toBe(2);
    expect(decoded.envelope.data).toEqual(stored(1, 'grace@navy.example').data);
  });

  it('decodes a v2 capture with sealed content, and refuses a version that never was', () => {
    expect(decodeStoredEvent(stored(2, sealed)).ok).toBe(true);
    expect(decodeStoredEvent(stored(3, sealed))).toEqual({
      ok: false,
      reason: 'LeadCaptured schema version 3 is newer than 2',
    });
  });

  it('without the upcaster, a v1 capture is refused by name (the mechanism is in use)', () => {
    expect(decodeStoredEvent(stored(1, 'x'), {})).toEqual({
      ok: false,
      reason: 'no upcaster for LeadCaptured from version 1',
    });
  });
});
