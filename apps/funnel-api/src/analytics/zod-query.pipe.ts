/**
 * Validates a query string against a zod schema, like ZodBodyPipe does for bodies. A bad query
 * is a 400 that names every offending parameter, including parameters the endpoint does not
 * take; nothing reaches a handler unvalidated.
 */
import { BadRequestException, type PipeTransform } from '@nestjs/common';
import type { z } from 'zod';

export interface QueryIssue {
  readonly parameter: string;
  readonly message: string;
}

/** One issue per parameter; an unknown parameter is named instead of "(query)". */
export function queryIssues(issues: readonly z.core.$ZodIssue[]): QueryIssue[] {
  return issues.flatMap((issue): QueryIssue[] => {
    if (issue.code === 'unrecognized_keys') {
      return issue.keys.map((key) => ({
        parameter: key,
        message: 'not a parameter of this endpoint',
      }));
    }
    return [
      { parameter: issue.path.length ? issue.path.join('.') : '(query)', message: issue.message },
    ];
  });
}

export class ZodQueryPipe<T extends z.ZodType> implements PipeTransform<unknown, z.infer<T>> {
  constructor(private readonly schema: T) {}

  transform(value: unknown): z.infer<T> {
    const result = this.schema.safeParse(value ?? {});
    if (result.success) return result.data;
    const issues = queryIssues(result.error.issues);
    throw new BadRequestException({
      statusCode: 400,
      error: 'Bad Request',
      message: `invalid query: ${issues
        .map((issue) => `${issue.parameter}: ${issue.message}`)
        .join('; ')}`,
      issues,
    });
  }
}
