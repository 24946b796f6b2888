/**
 * JSON Schemas (draft 2020-12) of the envelope on `tandem.lead-events.v1`, one per
 * event type at its current schema version, for consumers written in other
 * languages. They are derived from the same zod schemas the TypeScript decoder
 * uses, so the two cannot drift; a committed copy lives in libs/contracts/schemas
 * (see generate-schemas.main.ts) and a spec fails when it is stale.
 *
 * What JSON Schema cannot say (refinements such as `min <= max`, trimming of
 * text) stays with the TypeScript decoder: the schemas are never stricter than
 * it, only occasionally looser. This module must never do I/O, and its output
 * must depend on nothing but the schemas (no dates, no environment).
 */
import { z } from 'zod';
import { metadataSchema } from './envelope.codec';
import {
  eventDataSchemaAt,
  type KnownEventType,
  knownEventTypes,
  schemaVersionsOf,
} from './event-schemas';
import { cloudEventHeaders, cloudEventType, eventHeaders } from './kafka-message.codec';
import { schemaFileName, schemaId } from './schema-ids';
import { LEAD_EVENTS_DLQ_TOPIC, LEAD_EVENTS_TOPIC } from './topics';

export type JsonSchema = Record<string, unknown>;

export interface EventJsonSchema {
  readonly type: KnownEventType;
  readonly schemaVersion: number;
  /** File name under libs/contracts/schemas, e.g. `LeadHandedToSales.v1.schema.json`. */
  readonly file: string;
  readonly schema: JsonSchema;
}

/** The wire envelope of one event type, field order as toEnvelopeJson writes it. */
export function envelopeSchema(type: KnownEventType, schemaVersion: number) {
  const meta = metadataSchema.shape;
  const data = eventDataSchemaAt(type, schemaVersion);
  if (!data) throw new Error(`${type} has no schema version ${schemaVersion}`);
  return z.object({
    eventId: z.string().min(1),
    type: z.literal(type),
    schemaVersion: z.literal(schemaVersion),
    leadId: meta.leadId,
    accountId: meta.accountId,
    occurredAt: meta.occurredAt,
    recordedAt: z.iso.datetime({ offset: true }),
    correlationId: meta.correlationId,
    causationId: meta.causationId,
    actor: meta.actor,
    streamId: z.string().min(1),
    streamRevision: z.number().int().nonnegative(),
    globalPosition: z.string().regex(/^\d+$/),
    data,
  });
}

/**
 * One schema per event type and schema version (every version, oldest first: the topic keeps
 * them all), sorted by type. `io: 'input'` describes what the
 * decoder accepts: unknown fields are allowed (and ignored), so adding an
 * optional field is not a breaking change for consumers that validate.
 */
export function eventJsonSchemas(): EventJsonSchema[] {
  const versions = [...knownEventTypes]
    .sort()
    .flatMap((type) => schemaVersionsOf(type).map((schemaVersion) => ({ type, schemaVersion })));
  return versions.map(({ type, schemaVersion }) => {
    const body = z.toJSONSchema(envelopeSchema(type, schemaVersion), {
      target: 'draft-2020-12',
      io: 'input',
      unrepresentable: 'throw',
    });
    const { $schema, ...rest } = body;
    return {
      type,
      schemaVersion,
      file: schemaFileName(type, schemaVersion),
      schema: {
        $schema,
        // The identifier a message's ce_dataschema header names; the version is part of it.
        $id: schemaId(type, schemaVersion),
        title: `${type} v${schemaVersion}`,
        description: `Envelope of a ${type} event (schema version ${schemaVersion}) as published on ${LEAD_EVENTS_TOPIC}.`,
        ...rest,
      },
    };
  });
}

/** index.json: what a consumer in another language needs besides the schemas. */
export function eventJsonSchemaIndex(schemas: readonly EventJsonSchema[] = eventJsonSchemas()) {
  return {
    topic: LEAD_EVENTS_TOPIC,
    dlqTopic: LEAD_EVENTS_DLQ_TOPIC,
    key: 'leadId, or the stream id for events outside a lead; one key keeps its order',
    value: 'the envelope as UTF-8 JSON (the CloudEvent data); its schema is the ce_dataschema $id',
    headers: cloudEventHeaders,
    deprecatedHeaders: eventHeaders,
    schemas: schemas.map(({ type, schemaVersion, file }) => ({
      type,
      schemaVersion,
      ceType: cloudEventType(type, schemaVersion),
      $id: schemaId(type, schemaVersion),
      file,
    })),
  };
}
