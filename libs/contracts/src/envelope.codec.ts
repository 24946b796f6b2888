/**
 * Between the store's generic records and Tandem's typed envelopes. Decoding
 * validates the payload against its schema, upcasting older schema versions
 * first, and returns an outcome instead of throwing so consumers can route a bad
 * record to a dead-letter queue and go on.
 */
import { type Actor, type EnvelopeMeta, roles } from '@tandem/domain';
import { z } from 'zod';
import { currentSchemaVersions, eventDataSchemas, type KnownEventType } from './event-schemas';
import { businessTimeSchema } from './value-bounds';
import type { TandemEnvelope, TandemEvent } from './tandem-event';

/** What a store adapter records: structurally the event-store port's RecordedEvent. */
export interface StoredEventLike {
  readonly eventId: string;
  readonly type: string;
  readonly schemaVersion: number;
  readonly streamId: string;
  readonly streamRevision: bigint;
  readonly globalPosition: bigint;
  readonly recordedAt: Date;
  readonly data: unknown;
  readonly metadata: unknown;
}

/** What is appended: structurally the port's EventToAppend. */
export interface EventToStore {
  readonly eventId: string;
  readonly type: string;
  readonly schemaVersion: number;
  readonly data: Readonly<Record<string, unknown>>;
  readonly metadata: Readonly<Record<string, unknown>>;
}

/** Per event type: functions that lift a payload from schema version N to N+1. */
export type Upcasters = Partial<Record<KnownEventType, Record<number, (data: unknown) => unknown>>>;

/**
 * The upcasters of the contract (a new schema version adds its predecessor to
 * previousEventDataSchemas in event-schemas.ts and an upcaster from it here): every older version a store or the topic may still hold is
 * lifted to the current one before it is validated, so readers handle one shape per type.
 *
 * LeadCaptured 1 → 2: v2 declares `source.content` personal. A v1 capture's content is plain
 * text, which v2 accepts as it accepts every personal value recorded before sealing existed
 * (`personal()`: plain or sealed), so the payload is lifted unchanged. It stays plain where it
 * was recorded: history is not rewritten, and erasure cannot shred it (ADR 0009).
 */
export const leadEventUpcasters: Upcasters = {
  LeadCaptured: { 1: (data) => data },
};

const defaultUpcasters: Upcasters = leadEventUpcasters;

const actorSchema = z.object({
  kind: z.enum(['user', 'system', 'service']),
  id: z.string().min(1),
  role: z.enum(roles),
}) satisfies z.ZodType<Actor>;

export const metadataSchema = z.object({
  leadId: z.string().nullable(),
  accountId: z.string().nullable(),
  // DateTime64(3)'s range: an event outside it could not be projected (value-bounds.ts).
  occurredAt: businessTimeSchema,
  correlationId: z.string().min(1),
  causationId: z.string().nullable(),
  actor: actorSchema,
});
export type StoredMetadata = z.infer<typeof metadataSchema>;

export type DecodeOutcome =
  | { readonly ok: true; readonly envelope: TandemEnvelope }
  | { readonly ok: false; readonly reason: string };

const isKnownType = (type: string): type is KnownEventType => type in eventDataSchemas;

function describe(error: z.ZodError): string {
  return error.issues
    .map((issue) => `${issue.path.length ? issue.path.join('.') : '(root)'}: ${issue.message}`)
    .join('; ');
}

function upcast(
  type: KnownEventType,
  fromVersion: number,
  data: unknown,
  upcasters: Upcasters,
): { ok: true; data: unknown } | { ok: false; reason: string } {
  const target = currentSchemaVersions[type];
  if (fromVersion > target) {
    return { ok: false, reason: `${type} schema version ${fromVersion} is newer than ${target}` };
  }
  let current = data;
  for (let version = fromVersion; version < target; version++) {
    const step = upcasters[type]?.[version];
    if (!step) return { ok: false, reason: `no upcaster for ${type} from version ${version}` };
    current = step(current);
  }
  return { ok: true, data: current };
}

/** Validates and types one recorded event (upcasting older schema versions). */
export function decodeStoredEvent(
  stored: StoredEventLike,
  upcasters: Upcasters = defaultUpcasters,
): DecodeOutcome {
  if (!isKnownType(stored.type)) return { ok: false, reason: `unknown event type ${stored.type}` };
  const lifted = upcast(stored.type, stored.schemaVersion, stored.data, upcasters);
  if (!lifted.ok) return lifted;
  const data = eventDataSchemas[stored.type].safeParse(lifted.data);
  if (!data.success) return { ok: false, reason: `${stored.type} data: ${describe(data.error)}` };
  const metadata = metadataSchema.safeParse(stored.metadata);
  if (!metadata.success) return { ok: false, reason: `metadata: ${describe(metadata.error)}` };
  const meta: EnvelopeMeta = {
    eventId: stored.eventId,
    schemaVersion: currentSchemaVersions[stored.type],
    leadId: metadata.data.leadId,
    accountId: metadata.data.accountId,
    occurredAt: metadata.data.occurredAt,
    recordedAt: stored.recordedAt.toISOString(),
    correlationId: metadata.data.correlationId,
    causationId: metadata.data.causationId,
    actor: metadata.data.actor,
    streamId: stored.streamId,
    streamRevision: Number(stored.streamRevision),
    globalPosition: stored.globalPosition.toString(),
  };
  return { ok: true, envelope: { ...meta, type: stored.type, data: data.data } as TandemEnvelope };
}

const envelopeJsonSchema = z.object({
  eventId: z.string().min(1),
  type: z.string().min(1),
  schemaVersion: z.number().int().positive(),
  leadId: z.string().nullable(),
  accountId: z.string().nullable(),
  occurredAt: z.string(),
  recordedAt: z.iso.datetime({ offset: true }),
  correlationId: z.string(),
  causationId: z.string().nullable(),
  actor: z.unknown(),
  streamId: z.string().min(1),
  streamRevision: z.number().int().nonnegative(),
  globalPosition: z.string().regex(/^\d+$/, 'must be a decimal integer string'),
  data: z.unknown(),
});

/**
 * Validates an envelope received as JSON (a Kafka message value, an HTTP body):
 * the same checks as for a stored event.
 */
export function decodeEnvelopeJson(
  json: unknown,
  upcasters: Upcasters = defaultUpcasters,
): DecodeOutcome {
  const parsed = envelopeJsonSchema.safeParse(json);
  if (!parsed.success) return { ok: false, reason: `envelope: ${describe(parsed.error)}` };
  const e = parsed.data;
  return decodeStoredEvent(
    {
      eventId: e.eventId,
      type: e.type,
      schemaVersion: e.schemaVersion,
      streamId: e.streamId,
      streamRevision: BigInt(e.streamRevision),
      globalPosition: BigInt(e.globalPosition),
      recordedAt: new Date(e.recordedAt),
      data: e.data,
      metadata: {
        leadId: e.leadId,
        accountId: e.accountId,
        occurredAt: e.occurredAt,
        correlationId: e.correlationId,
        causationId: e.causationId,
        actor: e.actor,
      },
    },
    upcasters,
  );
}

/** The stored form of a new event: payload in `data`, the rest of the envelope in `metadata`. */
export function encodeForStore(
  event: TandemEvent,
  meta: { eventId: string } & StoredMetadata,
): EventToStore {
  const { eventId, ...metadata } = meta;
  return {
    eventId,
    type: event.type,
    schemaVersion: currentSchemaVersions[event.type],
    data: event.data,
    metadata,
  };
}

/** One refused field of an event: its path (`data.amount`, `occurredAt`) and why. */
export interface EventFieldIssue {
  readonly field: string;
  readonly message: string;
}

export type EventCheck =
  { readonly ok: true } | { readonly ok: false; readonly issues: readonly EventFieldIssue[] };

/**
 * Whether a new event would decode, and so be projected, once stored: the payload against its
 * type's schema, the envelope (business time within DateTime64(3), actor, ids) against the
 * metadata schema — the checks decodeStoredEvent makes. For writers that do not come through
 * the API's request schemas (the import), so a bad row is refused naming the field instead of
 * being stored and then skipped by the projector. It never changes the event.
 */
export function checkEventForStore(
  event: { readonly type: string; readonly data: unknown },
  metadata: unknown,
): EventCheck {
  if (!isKnownType(event.type)) {
    return { ok: false, issues: [{ field: 'type', message: `unknown event type ${event.type}` }] };
  }
  // Payload fields under `data.`; envelope fields by their own name, as a client sends them.
  const issues = (prefix: string, root: string, error: z.ZodError | undefined) =>
    (error?.issues ?? []).map((issue): EventFieldIssue => ({
      field: [prefix, ...issue.path.map(String)].filter((part) => part !== '').join('.') || root,
      message: issue.message,
    }));
  const data = eventDataSchemas[event.type].safeParse(event.data);
  const meta = metadataSchema.safeParse(metadata);
  const found = [...issues('data', 'data', data.error), ...issues('', 'metadata', meta.error)];
  return found.length === 0 ? { ok: true } : { ok: false, issues: found };
}
