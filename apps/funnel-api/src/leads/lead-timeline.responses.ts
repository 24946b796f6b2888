/**
 * What GET /leads/{leadId}/timeline answers, as a zod schema: the OpenAPI document's 200 schema
 * is generated from it, and the compiler checks it against the handler's LeadTimeline. Each
 * event's payload is documented by the event contract's JSON Schema of its type (one place for
 * it); here it is an object, since personal fields read opened, or `[erased]`, not sealed.
 */
import type { LeadEnvelope } from '@tandem/contracts';
import { type EnvelopeMeta, leadEventTypes, roles } from '@tandem/domain';
import { z } from 'zod';
import type { AnswerOf, SameAnswer } from '../http/api-answer.decorator';
import type { LeadTimeline } from './get-lead-timeline.handler';

const timelineEvent = z.strictObject({
  eventId: z.string(),
  type: z.enum(leadEventTypes),
  schemaVersion: z.number().int().positive(),
  leadId: z.string().nullable(),
  accountId: z.string().nullable(),
  occurredAt: z.string().describe('Business time: when it happened (ISO-8601, UTC)'),
  recordedAt: z.string().describe('When the store recorded it (ISO-8601, UTC)'),
  correlationId: z.string(),
  causationId: z.string().nullable(),
  actor: z.strictObject({
    kind: z.enum(['user', 'system', 'service']),
    id: z.string(),
    role: z.enum(roles),
  }),
  streamId: z.string(),
  streamRevision: z.number().int().nonnegative(),
  globalPosition: z.string().describe('Position in the global log (decimal string, 64-bit)'),
  data: z
    .record(z.string(), z.unknown())
    .describe(
      "The payload, as the event contract's JSON Schema of `type` at `schemaVersion` " +
        '(libs/contracts/schemas) describes it, personal fields opened; `[erased]` once erased; ' +
        "`[withheld]` while the lead's key does not unwrap (docs/personal-data.md)",
    ),
});

export const leadTimelineSchema = z.strictObject({
  leadId: z.string().describe("The lead's canonical id"),
  status: z
    .string()
    .describe(
      "The lead's lifecycle status after its last event; `erasure_in_progress` while its key " +
        'is destroyed and its LeadErased not recorded yet (send the erasure again)',
    ),
  revision: z.number().int().nonnegative().describe("The lead stream's revision"),
  events: z.array(timelineEvent).describe('Every event of the lead, in order'),
});

// Both directions for all but the payload; the payload one way (each type has its own).
type Documented = z.infer<typeof timelineEvent>;
const _timeline: SameAnswer<
  Omit<z.infer<typeof leadTimelineSchema>, 'events'>,
  Omit<LeadTimeline, 'events'>
> = true;
const _meta: SameAnswer<Omit<Documented, 'type' | 'data'>, EnvelopeMeta> = true;
const _types: SameAnswer<Documented['type'], LeadEnvelope['type']> = true;
const _answerFits = (answer: LeadTimeline): AnswerOf<typeof leadTimelineSchema> => answer;
void [_timeline, _meta, _types, _answerFits];
