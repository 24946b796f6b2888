/**
 * Validates one path parameter against a zod schema, as ZodQueryPipe does a query string and
 * ZodBodyPipe a body: a bad value is a 400 `invalid_request` naming the parameter (`errors[]`,
 * `in: 'path'`), never a 404 for something that merely looks absent.
 */
import type { PipeTransform } from '@nestjs/common';
import { z } from 'zod';
import { InvalidRequestError } from './problem-details';
import { fieldProblemsOf } from './zod-field-problems';

export class ZodPathPipe<T extends z.ZodType> implements PipeTransform<unknown, z.infer<T>> {
  private readonly parameter: z.ZodType<Record<string, z.infer<T>>>;

  /** `name` as the route declares it (`:version`): the field every problem names. */
  constructor(
    private readonly name: string,
    schema: T,
  ) {
    // The parameter as the one field of an object, so each issue's path is its name.
    this.parameter = z.object({ [name]: schema }) as unknown as z.ZodType<
      Record<string, z.infer<T>>
    >;
  }

  transform(value: unknown): z.infer<T> {
    const result = this.parameter.safeParse({ [this.name]: value });
    if (result.success) return result.data[this.name] as z.infer<T>;
    throw new InvalidRequestError(fieldProblemsOf(result.error.issues, 'path'));
  }
}
