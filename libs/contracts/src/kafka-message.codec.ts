/**
 * The wire form of an event on `tandem.lead-events.v1`: key = leadId (the stream
 * id for events outside a lead), so one lead's events stay in order on one
 * partition; headers carry type, schema version, event id and correlation id so
 * consumers can route without parsing; the value is the envelope as JSON.
 * Structural types only: no Kafka client is imported here.
 */
import {
  decodeEnvelopeJson,
  type DecodeOutcome,
  type StoredEventLike,
  type Upcasters,
} from './envelope.codec';

export interface EventMessage {
  readonly key: string;
  readonly value: string;
  readonly headers: Record<string, string>;
}

export const eventHeaders = {
  type: 'tandem-event-type',
  schemaVersion: 'tandem-schema-version',
  eventId: 'tandem-event-id',
  correlationId: 'tandem-correlation-id',
  dlqReason: 'tandem-dlq-reason',
} as const;

const text = (value: unknown): string | null => (typeof value === 'string' ? value : null);

/** The envelope JSON of a stored record, exactly as recorded (consumers validate). */
export function toEnvelopeJson(record: StoredEventLike): Record<string, unknown> {
  const metadata = (record.metadata ?? {}) as Record<string, unknown>;
  return {
    eventId: record.eventId,
    type: record.type,
    schemaVersion: record.schemaVersion,
    leadId: text(metadata.leadId),
    accountId: text(metadata.accountId),
    occurredAt: text(metadata.occurredAt),
    recordedAt: record.recordedAt.toISOString(),
    correlationId: text(metadata.correlationId),
    causationId: text(metadata.causationId),
    actor: metadata.actor ?? null,
    streamId: record.streamId,
    streamRevision: Number(record.streamRevision),
    globalPosition: record.globalPosition.toString(),
    data: record.data,
  };
}

export function toEventMessage(record: StoredEventLike): EventMessage {
  const envelope = toEnvelopeJson(record);
  return {
    key: text(envelope.leadId) ?? record.streamId,
    value: JSON.stringify(envelope),
    headers: {
      [eventHeaders.type]: record.type,
      [eventHeaders.schemaVersion]: String(record.schemaVersion),
      [eventHeaders.eventId]: record.eventId,
      [eventHeaders.correlationId]: text(envelope.correlationId) ?? '',
    },
  };
}

/** Decodes a received message value (bytes or text): JSON, then the envelope contract. */
export function decodeEventMessage(
  value: Buffer | string | null,
  upcasters?: Upcasters,
): DecodeOutcome {
  if (value === null) return { ok: false, reason: 'message has no value' };
  let json: unknown;
  try {
    json = JSON.parse(typeof value === 'string' ? value : value.toString('utf8'));
  } catch (error) {
    return { ok: false, reason: `value is not JSON: ${(error as Error).message}` };
  }
  return decodeEnvelopeJson(json, upcasters);
}
