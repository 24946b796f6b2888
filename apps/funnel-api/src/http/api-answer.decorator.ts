/**
 * A route's documented success answer, generated from the zod schema of its body, so the
 * OpenAPI document shows what the route returns. Pair each schema with a compile-time check
 * against the type the handler returns (see definitions.responses.ts), or the two can drift.
 */
import { applyDecorators } from '@nestjs/common';
import { ApiResponse } from '@nestjs/swagger';
import { z } from 'zod';

export const ApiAnswer = (status: 200 | 201 | 202, schema: z.ZodType, description: string) =>
  applyDecorators(
    ApiResponse({
      status,
      description,
      schema: z.toJSONSchema(schema, { io: 'output', unrepresentable: 'any' }) as object,
    }),
  );
