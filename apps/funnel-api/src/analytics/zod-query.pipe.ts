/**
 * Validates a query string against a zod schema, like ZodBodyPipe does for bodies. A bad query
 * is a 400 problem that names every offending parameter (`errors[]`, `in: 'query'`), including
 * parameters the endpoint does not take; nothing reaches a handler unvalidated.
 */
import type { PipeTransform } from '@nestjs/common';
import type { z } from 'zod';
import { InvalidRequestError } from '../http/problem-details';
import { fieldProblemsOf } from '../http/zod-field-problems';

export class ZodQueryPipe<T extends z.ZodType> implements PipeTransform<unknown, z.infer<T>> {
  constructor(private readonly schema: T) {}

  transform(value: unknown): z.infer<T> {
    const result = this.schema.safeParse(value ?? {});
    if (result.success) return result.data;
    throw new InvalidRequestError(fieldProblemsOf(result.error.issues, 'query'));
  }
}
