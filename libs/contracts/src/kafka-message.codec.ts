/**
 * The wire form of an event on `tandem.lead-events.v1`: a CloudEvents 1.0 message in the
 * Kafka protocol binding's binary mode. Key = leadId (the stream id for events outside a
 * lead), so one lead's events stay in order on one partition; the context attributes are
 * `ce_*` headers, `content-type` says what the value is; the value (the CloudEvent's data)
 * is Tandem's envelope as JSON, unchanged, and stays the truth.
 *
 * Headers: `ce_type` is `com.tandem.<lead|planning>.<EventType>.v<schemaVersion>`,
 * `ce_dataschema` the `$id` of that version's JSON Schema, `ce_subject` the key,
 * `ce_time` the business time. The old `tandem-*` headers are still written (deprecated):
 * consumers that route on them keep working, and every message recorded before CloudEvents
 * carries only those, so readers accept both forms (readEventHeaders) — a topic keeps its
 * history for ever. W3C trace context recorded in the event's metadata (`traceparent`,
 * `tracestate`) becomes the headers of the same name.
 *
 * It must never import a Kafka client: headers are plain records, values text or bytes.
 */
import {
  decodeEnvelopeJson,
  type DecodeOutcome,
  type StoredEventLike,
  type Upcasters,
} from './envelope.codec';
import { schemaId } from './schema-ids';

export interface EventMessage {
  readonly key: string;
  readonly value: string;
  readonly headers: Record<string, string>;
}

/** The CloudEvents Kafka binding's header names (attributes prefixed `ce_`). */
export const cloudEventHeaders = {
  specversion: 'ce_specversion',
  id: 'ce_id',
  type: 'ce_type',
  source: 'ce_source',
  time: 'ce_time',
  subject: 'ce_subject',
  dataschema: 'ce_dataschema',
  /** Extension attribute (CloudEvents names are lowercase alphanumerics). */
  correlationid: 'ce_correlationid',
  contentType: 'content-type',
} as const;

/** W3C trace context, carried as its own headers as the CloudEvents tracing extension does. */
export const traceHeaders = { traceparent: 'traceparent', tracestate: 'tracestate' } as const;

/**
 * Tandem's own headers. The four event headers are deprecated in favour of the `ce_*` ones
 * (still written, and the only ones on older messages); the DLQ reason is Tandem's and stays.
 */
export const eventHeaders = {
  type: 'tandem-event-type',
  schemaVersion: 'tandem-schema-version',
  eventId: 'tandem-event-id',
  correlationId: 'tandem-correlation-id',
  dlqReason: 'tandem-dlq-reason',
} as const;

export const CLOUDEVENTS_SPEC_VERSION = '1.0';
/** `ce_source`: the context every Tandem event comes from (source + id is unique). */
export const CLOUDEVENTS_SOURCE = 'urn:tandem:event-store';
export const EVENT_CONTENT_TYPE = 'application/json';

/** Events that are not about one lead: definitions, targets, spend. */
const planningTypes: ReadonlySet<string> = new Set([
  'FunnelDefinitionPublished',
  'FunnelDefinitionActivated',
  'TargetSet',
  'CampaignSpendRecorded',
]);

/** Events about an anonymous visitor before capture (`visitor-<id>` streams). */
const visitorTypes: ReadonlySet<string> = new Set(['AnonymousTouchpointRecorded']);

/**
 * `com.tandem.lead.LeadCaptured.v1`, `com.tandem.planning.TargetSet.v1`,
 * `com.tandem.visitor.AnonymousTouchpointRecorded.v1`.
 */
export function cloudEventType(type: string, schemaVersion: number): string {
  const family = planningTypes.has(type) ? 'planning' : visitorTypes.has(type) ? 'visitor' : 'lead';
  return `com.tandem.${family}.${type}.v${schemaVersion}`;
}

const CE_TYPE = /^com\.tandem\.(?:lead|planning|visitor)\.([A-Za-z][A-Za-z0-9]*)\.v([1-9]\d*)$/;

/** The event type and schema version a `ce_type` names, or null when it is not Tandem's. */
export function parseCloudEventType(
  ceType: string,
): { readonly type: string; readonly schemaVersion: number } | null {
  const match = CE_TYPE.exec(ceType);
  return match?.[1] && match[2] ? { type: match[1], schemaVersion: Number(match[2]) } : null;
}

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
  const metadata = (record.metadata ?? {}) as Record<string, unknown>;
  const key = text(envelope.leadId) ?? record.streamId;
  const correlationId = text(envelope.correlationId) ?? '';
  const headers: Record<string, string> = {
    [cloudEventHeaders.specversion]: CLOUDEVENTS_SPEC_VERSION,
    [cloudEventHeaders.id]: record.eventId,
    [cloudEventHeaders.type]: cloudEventType(record.type, record.schemaVersion),
    [cloudEventHeaders.source]: CLOUDEVENTS_SOURCE,
    [cloudEventHeaders.time]: text(envelope.occurredAt) ?? record.recordedAt.toISOString(),
    [cloudEventHeaders.subject]: key,
    [cloudEventHeaders.dataschema]: schemaId(record.type, record.schemaVersion),
    [cloudEventHeaders.contentType]: EVENT_CONTENT_TYPE,
  };
  if (correlationId) headers[cloudEventHeaders.correlationid] = correlationId;
  for (const name of [traceHeaders.traceparent, traceHeaders.tracestate]) {
    const value = text(metadata[name]);
    if (value) headers[name] = value;
  }
  // Deprecated, kept so consumers routing on them do not silently match nothing.
  headers[eventHeaders.type] = record.type;
  headers[eventHeaders.schemaVersion] = String(record.schemaVersion);
  headers[eventHeaders.eventId] = record.eventId;
  headers[eventHeaders.correlationId] = correlationId;
  return { key, value: JSON.stringify(envelope), headers };
}

/** A header as Kafka clients hand it over: text, bytes, repeated, or missing. */
export type HeaderValue = string | Uint8Array | readonly (string | Uint8Array)[] | null | undefined;
export type MessageHeaders = Readonly<Record<string, HeaderValue>>;

const utf8 = new TextDecoder();

/** One header's value as text; for a repeated header the last one counts. */
export function headerText(headers: MessageHeaders | undefined, name: string): string | null {
  const raw = headers?.[name];
  const one = Array.isArray(raw) ? (raw as readonly (string | Uint8Array)[]).at(-1) : raw;
  if (one === null || one === undefined) return null;
  return typeof one === 'string' ? one : utf8.decode(one as Uint8Array);
}

/** What the headers say about an event, whichever form they are in. */
export interface EventHeaderFacts {
  /** `cloudevents` (ce_* headers), `legacy` (tandem-* only) or `none`. */
  readonly form: 'cloudevents' | 'legacy' | 'none';
  readonly eventId: string | null;
  readonly type: string | null;
  readonly schemaVersion: number | null;
  readonly correlationId: string | null;
  readonly traceparent: string | null;
}

/**
 * Reads the routing facts of a message without parsing its value: from the CloudEvents
 * headers when present, else from the `tandem-*` headers of messages written before them.
 */
export function readEventHeaders(headers: MessageHeaders | undefined): EventHeaderFacts {
  const get = (name: string) => headerText(headers, name);
  const traceparent = get(traceHeaders.traceparent);
  const ceId = get(cloudEventHeaders.id);
  if (ceId !== null) {
    const parsed = parseCloudEventType(get(cloudEventHeaders.type) ?? '');
    return {
      form: 'cloudevents',
      eventId: ceId,
      type: parsed?.type ?? null,
      schemaVersion: parsed?.schemaVersion ?? null,
      correlationId: get(cloudEventHeaders.correlationid) ?? get(eventHeaders.correlationId),
      traceparent,
    };
  }
  const legacyId = get(eventHeaders.eventId);
  const legacyVersion = Number(get(eventHeaders.schemaVersion));
  return {
    form: legacyId === null ? 'none' : 'legacy',
    eventId: legacyId,
    type: get(eventHeaders.type),
    schemaVersion: Number.isInteger(legacyVersion) && legacyVersion > 0 ? legacyVersion : null,
    correlationId: get(eventHeaders.correlationId) || null,
    traceparent,
  };
}

/** Decodes a received message value (bytes or text): JSON, then the envelope contract. */
export function decodeEventMessage(
  value: Uint8Array | string | null,
  upcasters?: Upcasters,
): DecodeOutcome {
  if (value === null) return { ok: false, reason: 'message has no value' };
  let json: unknown;
  try {
    json = JSON.parse(typeof value === 'string' ? value : utf8.decode(value));
  } catch (error) {
    return { ok: false, reason: `value is not JSON: ${(error as Error).message}` };
  }
  return decodeEnvelopeJson(json, upcasters);
}

/** A received message, client-neutral: what every Kafka client can hand over. */
export interface ReceivedMessage {
  readonly value: Uint8Array | string | null;
  readonly headers?: MessageHeaders;
}

/**
 * The client-neutral decoder: value and headers → a validated, upcast envelope. The value
 * is the truth; headers in either form are only cross-checked, so a message whose headers
 * name another event than its value (a producer bug, a bad replay) is refused rather than
 * routed by one and processed as the other.
 */
export function decodeMessage(message: ReceivedMessage, upcasters?: Upcasters): DecodeOutcome {
  const decoded = decodeEventMessage(message.value, upcasters);
  if (!decoded.ok) return decoded;
  const facts = readEventHeaders(message.headers);
  const { envelope } = decoded;
  if (facts.eventId !== null && facts.eventId !== envelope.eventId) {
    return { ok: false, reason: `header event id ${facts.eventId} is not the value's` };
  }
  if (facts.type !== null && facts.type !== envelope.type) {
    return { ok: false, reason: `header type ${facts.type} is not the value's ${envelope.type}` };
  }
  return decoded;
}
