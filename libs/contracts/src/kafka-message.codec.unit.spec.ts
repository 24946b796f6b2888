import { encodeForStore, type StoredEventLike } from './envelope.codec';
import {
  cloudEventHeaders,
  cloudEventType,
  decodeMessage,
  eventHeaders,
  parseCloudEventType,
  readEventHeaders,
  toEventMessage,
} from './kafka-message.codec';

const TRACEPARENT = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';

function stored(
  extraMetadata: Record<string, unknown> = {},
  leadId: string | null = 'lead-7',
): StoredEventLike {
  const record = encodeForStore(
    { type: 'LeadRecycled', data: { from: 'mql', reason: 'no answer' } },
    {
      eventId: '0192f0c1-0000-7000-8000-000000000001',
      leadId,
      accountId: null,
      occurredAt: '2026-03-01T09:00:00.000Z',
      correlationId: 'corr-1',
      causationId: null,
      actor: { kind: 'service', id: 'codec-test', role: 'system' },
    },
  );
  return {
    ...record,
    metadata: { ...record.metadata, ...extraMetadata },
    streamId: leadId ? `lead-${leadId}` : 'targets',
    streamRevision: 3n,
    globalPosition: 42n,
    recordedAt: new Date('2026-03-01T09:00:01.000Z'),
  };
}

/** The headers of a message written before CloudEvents, as kafkajs hands them over (bytes). */
function legacyOnly(headers: Record<string, string>): Record<string, Buffer> {
  return Object.fromEntries(
    Object.entries(headers)
      .filter(([name]) => name.startsWith('tandem-'))
      .map(([name, value]) => [name, Buffer.from(value)]),
  );
}

describe('toEventMessage writes a CloudEvents 1.0 binary-mode message', () => {
  it('given a lead event, the ce_* headers describe it and the key is the lead id', () => {
    const message = toEventMessage(stored());
    expect(message.key).toBe('lead-7');
    expect(message.headers).toMatchObject({
      ce_specversion: '1.0',
      ce_id: '0192f0c1-0000-7000-8000-000000000001',
      ce_type: 'com.tandem.lead.LeadRecycled.v1',
      ce_source: 'urn:tandem:event-store',
      ce_time: '2026-03-01T09:00:00.000Z',
      ce_subject: 'lead-7',
      ce_dataschema: 'urn:tandem:schema:event:LeadRecycled:v1',
      ce_correlationid: 'corr-1',
      'content-type': 'application/json',
    });
    // The value is the envelope, as before: CloudEvents' data.
    expect(JSON.parse(message.value)).toMatchObject({ eventId: message.headers.ce_id });
  });

  it('keeps writing the deprecated tandem-* headers for consumers that route on them', () => {
    expect(toEventMessage(stored()).headers).toMatchObject({
      [eventHeaders.type]: 'LeadRecycled',
      [eventHeaders.schemaVersion]: '1',
      [eventHeaders.eventId]: '0192f0c1-0000-7000-8000-000000000001',
      [eventHeaders.correlationId]: 'corr-1',
    });
  });

  it('maps W3C trace context from the metadata to traceparent/tracestate, only when present', () => {
    const traced = toEventMessage(stored({ traceparent: TRACEPARENT, tracestate: 'vendor=1' }));
    expect(traced.headers).toMatchObject({ traceparent: TRACEPARENT, tracestate: 'vendor=1' });
    const untraced = toEventMessage(stored());
    expect(Object.keys(untraced.headers)).not.toContain('traceparent');
    expect(Object.keys(untraced.headers)).not.toContain('tracestate');
  });

  it('given a planning event, the type says planning and the subject is the stream id', () => {
    expect(cloudEventType('TargetSet', 1)).toBe('com.tandem.planning.TargetSet.v1');
    const message = toEventMessage(stored({}, null));
    expect(message.headers[cloudEventHeaders.subject]).toBe('targets');
    expect(message.key).toBe('targets');
  });
});

describe('parseCloudEventType', () => {
  it.each([
    ['com.tandem.lead.LeadCaptured.v1', { type: 'LeadCaptured', schemaVersion: 1 }],
    ['com.tandem.planning.TargetSet.v12', { type: 'TargetSet', schemaVersion: 12 }],
    ['com.example.lead.LeadCaptured.v1', null],
    ['com.tandem.lead.LeadCaptured.v0', null],
    ['com.tandem.lead.LeadCaptured', null],
  ])('%s → %j', (ceType, expected) => {
    expect(parseCloudEventType(ceType)).toEqual(expected);
  });
});

describe('readEventHeaders reads both forms a topic holds', () => {
  it('given CloudEvents headers, reads them', () => {
    const { headers } = toEventMessage(stored({ traceparent: TRACEPARENT }));
    expect(readEventHeaders(headers)).toEqual({
      form: 'cloudevents',
      eventId: '0192f0c1-0000-7000-8000-000000000001',
      type: 'LeadRecycled',
      schemaVersion: 1,
      correlationId: 'corr-1',
      traceparent: TRACEPARENT,
    });
  });

  it('given only the tandem-* headers of an older message, as bytes, reads those', () => {
    const headers = legacyOnly(toEventMessage(stored()).headers);
    expect(readEventHeaders(headers)).toEqual({
      form: 'legacy',
      eventId: '0192f0c1-0000-7000-8000-000000000001',
      type: 'LeadRecycled',
      schemaVersion: 1,
      correlationId: 'corr-1',
      traceparent: null,
    });
  });

  it('given no headers, says so', () => {
    expect(readEventHeaders(undefined).form).toBe('none');
    expect(readEventHeaders({}).eventId).toBeNull();
  });
});

describe('decodeMessage: value and headers → a typed event', () => {
  const message = toEventMessage(stored());

  it.each([
    ['CloudEvents headers', message.headers],
    ['only the older tandem-* headers', legacyOnly(message.headers)],
    ['no headers at all', undefined],
  ])('given %s, decodes the value', (_form, headers) => {
    const decoded = decodeMessage({ value: Buffer.from(message.value), headers });
    expect(decoded.ok && decoded.envelope.type).toBe('LeadRecycled');
    expect(decoded.ok && decoded.envelope.leadId).toBe('lead-7');
  });

  it('given headers that name another event than the value, refuses it', () => {
    const headers = { ...message.headers, [cloudEventHeaders.id]: 'someone-else' };
    expect(decodeMessage({ value: message.value, headers })).toEqual({
      ok: false,
      reason: "header event id someone-else is not the value's",
    });
    const retyped = { ...legacyOnly(message.headers), [eventHeaders.type]: 'DealWon' };
    expect(decodeMessage({ value: message.value, headers: retyped }).ok).toBe(false);
  });

  it('given a value that is not JSON, says why', () => {
    const decoded = decodeMessage({ value: 'not json', headers: message.headers });
    expect(decoded.ok ? '' : decoded.reason).toMatch(/^value is not JSON/);
  });
});

describe('external lead ids on the wire', () => {
  // Canonical ids from libs/domain lead-id.ts: the key (partitioning, per-lead order) and the
  // decoded envelope carry them byte for byte; nothing on the way assumes a UUID.
  it.each(['hubspot:1234', 'salesforce:00Q5e00000AbCdEAAA', 'pipedrive:Person-42.a_B'])(
    '%s is the key and the decoded lead id, unchanged',
    (leadId) => {
      const message = toEventMessage(stored({}, leadId));
      expect(message.key).toBe(leadId);
      const decoded = decodeMessage({ value: message.value, headers: message.headers });
      expect(decoded.ok && decoded.envelope.leadId).toBe(leadId);
      expect(decoded.ok && decoded.envelope.streamId).toBe(`lead-${leadId}`);
    },
  );
});
