/**
 * zod's issues as problem-details `errors[]` entries: one per offending field, body and query
 * alike, so a client reads one shape. An unknown key (strict schemas) is named itself rather
 * than as the object it sits in.
 */
import type { z } from 'zod';
import type { FieldProblem, ProblemLocation } from './problem-details';

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
        message:
          location === 'query' ? 'not a parameter of this endpoint' : 'not a field of this request',
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
