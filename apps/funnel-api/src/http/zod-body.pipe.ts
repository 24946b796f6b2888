/**
 * Validates a request body against a zod schema. A bad body is a 400 problem that names
 * every offending field (`errors[]`, `in: 'body'`); nothing reaches a handler unvalidated. A
 * field the schema does not declare, at any depth, is refused too (safeParseStrict), named by
 * its path: every write route's body is strict, whichever way its schema was written.
 */
import { safeParseStrict } from '@tandem/contracts';
import type { PipeTransform } from '@nestjs/common';
import type { z } from 'zod';
import { InvalidRequestError } from './problem-details';
import { fieldProblemsOf } from './zod-field-problems';

export class ZodBodyPipe<T extends z.ZodType> implements PipeTransform<unknown, z.infer<T>> {
  constructor(private readonly schema: T) {}

  transform(value: unknown): z.infer<T> {
    const result = safeParseStrict(this.schema, value ?? {});
    if (result.success) return result.data;
    throw new InvalidRequestError(fieldProblemsOf(result.error.issues, 'body'));
  }
}
