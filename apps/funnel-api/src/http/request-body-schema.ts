/**
 * A route's body schema for the OpenAPI document: the zod schema's input, with every object
 * closed (`additionalProperties: false`), as ZodBodyPipe refuses a field the schema does not
 * declare at any depth.
 */
import { z } from 'zod';

export const requestBodySchema = (schema: z.ZodType): object =>
  z.toJSONSchema(schema, {
    io: 'input',
    override: ({ zodSchema, jsonSchema }) => {
      if (zodSchema instanceof z.ZodObject) jsonSchema.additionalProperties = false;
    },
  });
