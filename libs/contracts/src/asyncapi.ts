/**
 * The AsyncAPI 3.0 document of Tandem's topics, `tandem.lead-events.v1` and its `.dlq`,
 * built from the same zod envelope schemas as the JSON Schemas (json-schemas.ts) and the
 * same header names and CloudEvents types as the codec (kafka-message.codec.ts), so the
 * document cannot say something the wire does not do. A committed copy is
 * libs/contracts/schemas/asyncapi.json; a spec fails when it is stale and validates it
 * with @asyncapi/parser.
 *
 * Payload schemas are emitted as draft-07, the JSON Schema dialect AsyncAPI 3.0's default
 * schema format is built on (it has no 2020-12 format); the 2020-12 files with the `$id`
 * that `ce_dataschema` names are the published schemas, this document points at them.
 * Pure: no I/O, no dates, output depends only on the schemas.
 */
import { z } from 'zod';
import {
  currentSchemaVersions,
  type KnownEventType,
  knownEventTypes,
  schemaVersionsOf,
} from './event-schemas';
import { envelopeSchema } from './json-schemas';
import {
  CLOUDEVENTS_SOURCE,
  CLOUDEVENTS_SPEC_VERSION,
  EVENT_CONTENT_TYPE,
  cloudEventHeaders,
  cloudEventType,
  eventHeaders,
  traceHeaders,
} from './kafka-message.codec';
import { schemaFileName, schemaId } from './schema-ids';
import { LEAD_EVENTS_DLQ_TOPIC, LEAD_EVENTS_TOPIC } from './topics';

/** The version of the published contract (the @tandem/contracts package's version). */
export const CONTRACT_VERSION = '1.1.0';

type Json = Record<string, unknown>;

const ref = (path: string): Json => ({ $ref: path });

/** Headers every event message carries; per message, ce_type and ce_dataschema are fixed. */
function cloudEventHeadersSchema(): Json {
  const h = cloudEventHeaders;
  const text = (description: string): Json => ({ type: 'string', description });
  return {
    type: 'object',
    description:
      'CloudEvents 1.0, Kafka protocol binding, binary mode. Messages recorded before ' +
      'CloudEvents carry only the deprecated tandem-* headers; the value is the truth.',
    required: [h.specversion, h.id, h.type, h.source, h.subject, h.dataschema, h.contentType],
    properties: {
      [h.specversion]: { type: 'string', const: CLOUDEVENTS_SPEC_VERSION },
      [h.id]: text('The event id (UUIDv7), the envelope eventId: dedupe by it.'),
      [h.type]: text('com.tandem.<lead|planning>.<EventType>.v<schemaVersion>'),
      [h.source]: { type: 'string', const: CLOUDEVENTS_SOURCE },
      [h.time]: text('Business time of the event (envelope occurredAt), RFC 3339.'),
      [h.subject]: text('The lead id (the stream id for events outside a lead) = the key.'),
      [h.dataschema]: text('The $id of the JSON Schema of the value.'),
      [h.correlationid]: text('Extension attribute: the envelope correlationId.'),
      [h.contentType]: { type: 'string', const: EVENT_CONTENT_TYPE },
      [traceHeaders.traceparent]: text(
        'W3C trace context, when the event was recorded in a trace.',
      ),
      [traceHeaders.tracestate]: text('W3C trace state, with traceparent.'),
      [eventHeaders.type]: text('Deprecated: the event type; use ce_type.'),
      [eventHeaders.schemaVersion]: text('Deprecated: the schema version; use ce_type.'),
      [eventHeaders.eventId]: text('Deprecated: the event id; use ce_id.'),
      [eventHeaders.correlationId]: text('Deprecated: use ce_correlationid.'),
    },
  };
}

function eventMessage(type: KnownEventType, version: number): Json {
  const ceType = cloudEventType(type, version);
  return {
    name: messageName(type, version),
    title: `${type} v${version}`,
    summary: `A ${type} event; ce_type ${ceType}.`,
    contentType: EVENT_CONTENT_TYPE,
    headers: {
      allOf: [
        ref('#/components/schemas/CloudEventHeaders'),
        {
          type: 'object',
          properties: {
            [cloudEventHeaders.type]: { type: 'string', const: ceType },
            [cloudEventHeaders.dataschema]: { type: 'string', const: schemaId(type, version) },
          },
        },
      ],
    },
    payload: ref(`#/components/schemas/${messageKey(type, version)}`),
    correlationId: ref('#/components/correlationIds/correlationId'),
    bindings: { kafka: { key: ref('#/components/schemas/EventKey'), bindingVersion: '0.5.0' } },
    externalDocs: {
      description: `JSON Schema 2020-12 ${schemaId(type, version)}: schemas/${schemaFileName(type, version)} in @tandem/contracts`,
      url: `https://www.npmjs.com/package/@tandem/contracts`,
    },
  };
}

function payloadSchema(type: KnownEventType, version: number): Json {
  const { $schema: _dialect, ...schema } = z.toJSONSchema(envelopeSchema(type, version), {
    target: 'draft-7',
    io: 'input',
    unrepresentable: 'throw',
  });
  return { title: `${type} v${version}`, ...schema };
}

const messageKey = (type: KnownEventType, version: number) => `${type}.v${version}`;
/**
 * A message's name in the channel: the type for its current version (as it always was), the
 * type and version for an older one the topic still carries (`LeadCaptured.v1`).
 */
const messageName = (type: KnownEventType, version: number) =>
  version === currentSchemaVersions[type] ? type : messageKey(type, version);

/** The document, keys in a stable order. */
export function asyncApiDocument(): Json {
  const versions = [...knownEventTypes]
    .sort()
    .flatMap((type) => schemaVersionsOf(type).map((version) => ({ type, version })));
  const messageRefs = Object.fromEntries(
    versions.map(({ type, version }) => [
      messageName(type, version),
      ref(`#/components/messages/${messageKey(type, version)}`),
    ]),
  );
  const channelMessages = (channel: string) =>
    versions.map(({ type, version }) =>
      ref(`#/channels/${channel}/messages/${messageName(type, version)}`),
    );
  return {
    asyncapi: '3.0.0',
    info: {
      title: 'Tandem lead events',
      version: CONTRACT_VERSION,
      description:
        'Every lead-lifecycle fact Tandem records, in order per lead, at least once. ' +
        'Consumers dedupe by event id (ce_id) and treat unknown fields as absent.',
    },
    defaultContentType: EVENT_CONTENT_TYPE,
    channels: {
      leadEvents: {
        address: LEAD_EVENTS_TOPIC,
        title: 'Lead events',
        description:
          'One message per recorded event, key = lead id (murmur2, so one lead stays on one ' +
          'partition, in streamRevision order). Retention is unlimited: read from the beginning ' +
          'to rebuild state.',
        messages: messageRefs,
        bindings: { kafka: { topic: LEAD_EVENTS_TOPIC, bindingVersion: '0.5.0' } },
      },
      deadLetters: {
        address: LEAD_EVENTS_DLQ_TOPIC,
        title: 'Dead letters of lead events',
        description:
          'Messages a consumer could not decode or refused, with the original key, value ' +
          'and headers plus the reason. Shared by every consumer group.',
        messages: { DeadLetter: ref('#/components/messages/DeadLetter') },
        bindings: { kafka: { topic: LEAD_EVENTS_DLQ_TOPIC, bindingVersion: '0.5.0' } },
      },
    },
    operations: {
      publishLeadEvents: {
        action: 'send',
        title: 'The relay publishes every recorded event',
        channel: ref('#/channels/leadEvents'),
        messages: channelMessages('leadEvents'),
      },
      consumeLeadEvents: {
        action: 'receive',
        title: 'A downstream consumer group reads the events',
        channel: ref('#/channels/leadEvents'),
        messages: channelMessages('leadEvents'),
      },
      deadLetter: {
        action: 'send',
        title: 'A consumer parks a message it cannot process',
        channel: ref('#/channels/deadLetters'),
        messages: [ref('#/channels/deadLetters/messages/DeadLetter')],
      },
    },
    components: {
      messages: {
        ...Object.fromEntries(
          versions.map(({ type, version }) => [
            messageKey(type, version),
            eventMessage(type, version),
          ]),
        ),
        DeadLetter: {
          name: 'DeadLetter',
          title: 'Dead letter',
          summary: 'The original message, unchanged, plus why it was parked.',
          headers: ref('#/components/schemas/DeadLetterHeaders'),
          payload: {
            description:
              'The original value, unchanged: usually a Tandem envelope (see the leadEvents ' +
              'messages), or bytes that did not decode.',
          },
          bindings: {
            kafka: { key: ref('#/components/schemas/EventKey'), bindingVersion: '0.5.0' },
          },
        },
      },
      schemas: {
        EventKey: {
          type: 'string',
          description: 'The lead id; for events outside a lead, the stream id.',
        },
        CloudEventHeaders: cloudEventHeadersSchema(),
        DeadLetterHeaders: {
          type: 'object',
          description: "The original message's headers, plus these.",
          required: [eventHeaders.dlqReason, 'tandem-source'],
          properties: {
            [eventHeaders.dlqReason]: { type: 'string', description: 'Why it was parked.' },
            'tandem-source': {
              type: 'string',
              description: '<topic>/<partition>/<offset> of the original.',
            },
            'tandem-dlq-group': {
              type: 'string',
              description: 'The consumer group that parked it (subscribe helper).',
            },
          },
        },
        ...Object.fromEntries(
          versions.map(({ type, version }) => [
            messageKey(type, version),
            payloadSchema(type, version),
          ]),
        ),
      },
      correlationIds: {
        correlationId: {
          description: 'Shared by the events one request or one automated decision caused.',
          location: '$message.payload#/correlationId',
        },
      },
    },
  };
}
