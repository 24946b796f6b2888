/**
 * A route's documented success answer, generated from the zod schema of its body, so the
 * OpenAPI document shows what the route returns. Pair each schema with a compile-time check
 * against the type the handler returns (SameAnswer below, or both-way functions as in
 * definitions.responses.ts), or the two can drift.
 */
import { applyDecorators } from '@nestjs/common';
import { ApiResponse } from '@nestjs/swagger';
import { z } from 'zod';

/** The media type of a JSON answer; others (`text/plain`, `text/csv`) are named at the route. */
const JSON_MEDIA_TYPE = 'application/json';

/** The answer's JSON Schema (2020-12, OpenAPI 3.1's dialect) as the document embeds it. */
const jsonSchemaOf = (body: z.ZodType): object =>
  z.toJSONSchema(body, { io: 'output', unrepresentable: 'any' });

interface AnswerMedia {
  /** The answer's media type when it is not JSON (`text/plain` for /metrics, say). */
  readonly mediaType?: string;
  /** Further media types the route answers with (Accept decides), each with its schema. */
  readonly alsoAs?: Readonly<Record<string, z.ZodType>>;
}

export const ApiAnswer = (
  status: 200 | 201 | 202 | 503,
  schema: z.ZodType,
  description: string,
  { mediaType = JSON_MEDIA_TYPE, alsoAs = {} }: AnswerMedia = {},
) =>
  applyDecorators(
    ApiResponse({
      status,
      description,
      content: Object.fromEntries(
        Object.entries({ [mediaType]: schema, ...alsoAs }).map(([type, body]) => [
          type,
          { schema: jsonSchemaOf(body) },
        ]),
      ),
    }),
  );

/** A success without a body (204): documented, so every route names its success. */
export const ApiNoContent = (description: string) =>
  applyDecorators(ApiResponse({ status: 204, description }));

/** Deeply readonly, so a handler's `readonly` arrays compare equal to zod's mutable ones. */
type Frozen<T> = T extends readonly (infer Item)[]
  ? readonly Frozen<Item>[]
  : T extends object
    ? { readonly [Key in keyof T]: Frozen<T[Key]> }
    : T;

/** The documented answer's type, for a handler that builds its answer to annotate its return. */
export type AnswerOf<Schema extends z.ZodType> = Frozen<z.output<Schema>>;

/**
 * `true` only when the documented answer and the handler's answer are assignable both ways
 * (readonly aside): `const _documented: SameAnswer<z.infer<typeof schema>, Answer> = true;`
 * fails to compile once a field is added, removed or retyped on either side.
 */
export type SameAnswer<Documented, Answer> = [Frozen<Documented>] extends [Frozen<Answer>]
  ? [Frozen<Answer>] extends [Frozen<Documented>]
    ? true
    : false
  : false;
