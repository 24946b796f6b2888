/**
 * What the dictionary's routes answer, as zod schemas: the OpenAPI document's 2xx schemas of
 * /definitions are generated from them (ApiAnswer), a published definition with the dictionary's own
 * schema (funnelDefinitionSchema), and the compiler checks each against the type the handler
 * returns, so the document cannot drift from the answer.
 */
import { funnelDefinitionSchema } from '@tandem/domain';
import { z } from 'zod';
import type { PublishedDefinition } from './active-definition.service';
import type { PublicationResult } from './publish-funnel-definition.handler';

const hash = z.string().describe("The definition's content hash (16 hex digits)");

export const publishedDefinitionSchema = z.strictObject({
  version: z.number().int().positive(),
  definition: funnelDefinitionSchema,
  definitionHash: hash,
  publishedAt: z.string().describe('When it was published (ISO-8601)'),
  publishedBy: z.string().describe('The actor that published it'),
});

export const definitionListSchema = z.strictObject({
  active: z.number().int().positive().nullable().describe('The version in force, if any'),
  activationId: z
    .string()
    .nullable()
    .describe(
      'The activation that put it in force (its event id): send it as `expectedActivationId` to activate ' +
        'or apply only while it still is (ADR 0007); null before any activation',
    ),
  versions: z.array(
    z.strictObject({
      version: z.number().int().positive(),
      name: z.string(),
      definitionHash: hash,
      publishedAt: z.string(),
      publishedBy: z.string(),
    }),
  ),
});

export const publicationResultSchema = z.strictObject({
  version: z.number().int().positive(),
  definitionHash: hash,
  eventId: z.string().describe('The FunnelDefinitionPublished event'),
  globalPosition: z.string().describe('Its global position, as a decimal string (64-bit)'),
  activeVersion: z
    .number()
    .int()
    .positive()
    .nullable()
    .describe('The version still in force: publishing does not change it'),
});

// Both directions: a field added to either side without the other fails to compile.
const _published = (answer: PublishedDefinition): z.input<typeof publishedDefinitionSchema> =>
  answer;
const _publishedBack = (parsed: z.infer<typeof publishedDefinitionSchema>): PublishedDefinition =>
  parsed;
const _publication = (answer: PublicationResult): z.infer<typeof publicationResultSchema> => answer;
const _publicationBack = (parsed: z.infer<typeof publicationResultSchema>): PublicationResult =>
  parsed;
void _published;
void _publishedBack;
void _publication;
void _publicationBack;
