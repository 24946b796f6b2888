import type { Envelope, LeadEvent } from '@tandem/domain';
import { analyticsData, toLeadEventRow, type AnyEnvelope } from './lead-event.row';
import { createEventLog, leadEvent } from '../testing/event-log.fixture';
import { funnelScenario } from '../testing/funnel-scenario.fixture';

const captured: Envelope<LeadEvent> = {
  eventId: '01940000-0000-7000-8000-00000000000A',
  schemaVersion: 1,
  leadId: 'lead-42',
  accountId: 'account-7',
  occurredAt: '2025-01-06T10:15:30.123+01:00',
  recordedAt: '2025-01-06T09:15:31Z',
  correlationId: 'correlation-1',
  causationId: null,
  actor: { kind: 'user', id: 'user-9', role: 'marketing' },
  streamId: 'lead-lead-42',
  streamRevision: 0,
  globalPosition: '18446744073709551615',
  ...leadEvent.captured('paid_search', 'spring'),
};

const withEvent = (event: LeadEvent): AnyEnvelope => ({ ...captured, ...event });

const dataOf = (envelope: AnyEnvelope): unknown => {
  const outcome = toLeadEventRow(envelope);
  if (outcome.kind !== 'row') throw new Error(`expected a row, got ${outcome.kind}`);
  return JSON.parse(outcome.row.data);
};

describe('toLeadEventRow', () => {
  it('maps a LeadCaptured envelope to one lead_events row without contact or company name', () => {
    expect(toLeadEventRow(captured)).toEqual({
      kind: 'row',
      row: {
        event_id: '01940000-0000-7000-8000-00000000000a',
        type: 'LeadCaptured',
        schema_version: 1,
        lead_id: 'lead-42',
        account_id: 'account-7',
        stream_id: 'lead-lead-42',
        stream_revision: 0,
        global_position: '18446744073709551615',
        occurred_at: '2025-01-06 09:15:30.123',
        recorded_at: '2025-01-06 09:15:31.000',
        correlation_id: 'correlation-1',
        causation_id: null,
        actor_kind: 'user',
        actor_id: 'user-9',
        actor_role: 'marketing',
        data:
          '{"contactGiven":{"name":true,"email":true},' +
          '"company":{"industry":"software","size":40,"country":"GB"},' +
          '"source":{"channel":"paid_search","campaign":"spring","medium":"cpc"},' +
          '"productInterest":"fleet","timeframe":"q1","consent":{"marketing":true}}',
      },
    });
  });

  it('is deterministic: the same envelope gives the same row, byte for byte', () => {
    expect(JSON.stringify(toLeadEventRow(captured))).toBe(
      JSON.stringify(toLeadEventRow(structuredClone(captured))),
    );
  });

  it('drops free text people typed and keeps reason codes from the shared lists', () => {
    expect(dataOf(withEvent(leadEvent.accepted('alice')))).toEqual({ owner: 'alice' });
    expect(dataOf(withEvent(leadEvent.rejected('bob', 'no_budget')))).toEqual({
      owner: 'bob',
      reason: 'no_budget',
    });
    expect(dataOf(withEvent(leadEvent.lost('o1', 'price')))).toEqual({
      opportunityId: 'o1',
      reason: 'price',
    });
    expect(dataOf(withEvent(leadEvent.recycled('lost')))).toEqual({ from: 'lost' });
    expect(dataOf(withEvent(leadEvent.erased()))).toEqual({});
  });

  it('keeps the facts the views read', () => {
    expect(dataOf(withEvent(leadEvent.handed('alice')))).toEqual({
      owner: 'alice',
      team: 'emea',
      slaDueAt: '2025-01-10T09:00:00.000Z',
      rulesVersion: 1,
      // Recorded before paths existed: spelled out as the marketing path.
      path: 'marketing',
      salesSource: null,
    });
    expect(dataOf(withEvent(leadEvent.won('o1', 1200.5, 'EUR')))).toEqual({
      opportunityId: 'o1',
      amount: 1200.5,
      currency: 'EUR',
    });
    expect(dataOf(withEvent(leadEvent.merged('lead-1')))).toEqual({ intoLeadId: 'lead-1' });
  });

  it('writes no trace of the contact for any event of the scenario', () => {
    const data = funnelScenario()
      .envelopes.map(toLeadEventRow)
      .flatMap((outcome) => (outcome.kind === 'row' ? [outcome.row.data] : []));

    expect(data).toHaveLength(65);
    for (const text of data) {
      expect(text).not.toMatch(/ada|lovelace|@|7946|analytical engines/i);
    }
  });

  it('skips planning events', () => {
    const log = createEventLog({ firstPosition: 5 });
    const target = log.planning('targets', {
      type: 'TargetSet',
      data: { team: 'sales', metric: 'won_deals', period: '2025-01', value: 3, owner: 'alice' },
    });

    expect(toLeadEventRow(target)).toEqual({
      kind: 'skip',
      eventId: target.eventId,
      reason: 'TargetSet is not a lead event',
    });
  });

  it.each([
    ['eventId is not a UUID', { eventId: 'not-a-uuid' }],
    ['leadId is missing', { leadId: null }],
    ['globalPosition is not a UInt64 decimal string', { globalPosition: '18446744073709551616' }],
    ['globalPosition is not a UInt64 decimal string', { globalPosition: '-1' }],
    ['streamRevision is not a non-negative integer', { streamRevision: 1.5 }],
    ['occurredAt is not an ISO-8601 UTC-offset timestamp', { occurredAt: '2025-01-06 10:00:00' }],
    ['recordedAt is not an ISO-8601 UTC-offset timestamp', { recordedAt: '2400-01-01T00:00:00Z' }],
  ])('reports an invalid envelope: %s', (reason, change) => {
    const envelope: AnyEnvelope = { ...captured, ...change };
    expect(toLeadEventRow(envelope)).toEqual({
      kind: 'invalid',
      eventId: envelope.eventId,
      reason,
    });
  });
});

describe('analyticsData', () => {
  it('normalises absent optional fields to null so the JSON shape never varies', () => {
    const event: LeadEvent = {
      type: 'LeadCaptured',
      data: {
        contact: { name: 'x', email: 'x@example.com' },
        company: { name: 'x' },
        source: { channel: 'organic' },
        productInterest: null,
        timeframe: null,
        consent: { marketing: false },
      },
    };
    expect(analyticsData(event)).toEqual({
      contactGiven: { name: true, email: true },
      company: { industry: null, size: null, country: null },
      source: { channel: 'organic', campaign: null, medium: null },
      productInterest: null,
      timeframe: null,
      consent: { marketing: false },
    });
  });
});
