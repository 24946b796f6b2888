/**
 * zod's issues as problem-details `errors[]` entries: one per offending field, body and query
 * alike, so a client reads one shape. An unknown key (strict schemas) is named itself rather
 * than as the object it sits in.
 */
import type { z } from 'zod';
import type { FieldProblem, ProblemLocation } from './problem-details';

/** What a problem says of a key the schema does not know (its `field` is the client's key). */
export const UNKNOWN_FIELD_MESSAGES = {
  body: 'not a field of this request',
  query: 'not a parameter of this endpoint',
} as const;

export const isUnknownFieldProblem = (problem: FieldProblem): boolean =>
  problem.message === UNKNOWN_FIELD_MESSAGES.body ||
  problem.message === UNKNOWN_FIELD_MESSAGES.query;

export function fieldProblemsOf(
  issues: readonly z.core.$ZodIssue[],
  location: ProblemLocation,
): FieldProblem[] {
  const whole = location === 'body' ? '(body)' : '(query)';
  return issues.flatMap((issue): FieldProblem[] => {
    const prefix = issue.path.length > 0 ? `${issue.path.join('.')}.` : '';
    if (issue.code === 'unrecognized_keys') {
      return issue.keys.map((key) => ({
        in: location,
        field: `${prefix}${key}`,
        message: location === 'query' ? UNKNOWN_FIELD_MESSAGES.query : UNKNOWN_FIELD_MESSAGES.body,
      }));
    }
    return [
      {
        in: location,
        field: issue.path.length > 0 ? issue.path.join('.') : whole,
        message: issue.message,
      },
    ];
  });
}
