/**
 * What every lead command answers, as a zod schema: the OpenAPI document's response schema of
 * the command routes is generated from it, and the compiler checks it against the handler's
 * LeadCommandResult, so the document cannot drift from the answer.
 */
import { applyDecorators } from '@nestjs/common';
import { ApiResponse } from '@nestjs/swagger';
import { z } from 'zod';
import type { LeadCommandResult } from './execute-lead-command.handler';

export const leadCommandResultSchema = z.object({
  leadId: z.string().describe("The lead's canonical id"),
  revision: z.number().int().describe("The lead stream's revision after the command"),
  events: z
    .array(z.object({ eventId: z.string(), type: z.string() }))
    .describe('The events the command appended, in order (none when nothing changed)'),
  alsoErased: z
    .array(z.string())
    .optional()
    .describe(
      "An erasure only: the person's other leads it erased too (merged into this lead or it " +
        'into them, transitively), when there were any',
    ),
});

// Both directions: a field added to either side without the other fails to compile.
type Schema = z.infer<typeof leadCommandResultSchema>;
const _answerFitsSchema = ({ alsoErased, ...answer }: LeadCommandResult): Schema => ({
  ...answer,
  events: [...answer.events],
  ...(alsoErased === undefined ? {} : { alsoErased: [...alsoErased] }),
});
const _schemaFitsAnswer = (parsed: Schema): LeadCommandResult => parsed;
void _answerFitsSchema;
void _schemaFitsAnswer;

/** The documented success answer of a lead command route. */
export const ApiLeadCommandResult = (status: 200 | 201) =>
  applyDecorators(
    ApiResponse({
      status,
      description:
        status === 201
          ? 'Captured; `Location` is the lead’s timeline'
          : 'Recorded: the events appended and the revision after them',
      schema: z.toJSONSchema(leadCommandResultSchema, { io: 'output' }) as object,
    }),
  );
