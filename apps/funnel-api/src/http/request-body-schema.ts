/**
 * A route's body schema for the OpenAPI document: the zod schema's input, with every object
 * closed (`additionalProperties: false`), as ZodBodyPipe refuses a field the schema does not
 * declare at any depth, and every field that may be left out also taking null, as the pipe
 * reads such a null as leaving the field out (nullsAsAbsent, libs/domain).
 */
import { takesNullAsAbsent } from '@tandem/domain';
import { z } from 'zod';

export const requestBodySchema = (schema: z.ZodType): object =>
  z.toJSONSchema(schema, {
    io: 'input',
    override: ({ zodSchema, jsonSchema }) => {
      if (!(zodSchema instanceof z.ZodObject)) return;
      jsonSchema.additionalProperties = false;
      const properties = jsonSchema.properties ?? {};
      for (const [key, field] of Object.entries<z.ZodType>(zodSchema.shape)) {
        const property = properties[key];
        // A boolean schema (`true`) takes null already.
        if (typeof property === 'object' && takesNullAsAbsent(field)) {
          properties[key] = { anyOf: [property, { type: 'null' }] };
        }
      }
    },
  });
