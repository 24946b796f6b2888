/**
 * A body parsed strictly: a field its schema does not declare, at the top or in any nested
 * object, is refused as zod refuses the keys of a strict object (`unrecognized_keys`, named on
 * the object it sits in), together with whatever else the schema refuses. zod's objects strip
 * an unknown key silently, so a typo (`"campain"`) was lost and `{"bogus":true}` became an empty
 * profile. The check walks the schema itself (unknownFields, as a definition to publish does),
 * so every command body, the API's and the import's, is strict without a strict copy of each
 * schema to keep in step. A null in a field that may be left out is read as leaving it out
 * first (nullsAsAbsent): one convention for null in every body.
 */
import { nullsAsAbsent, unknownFields } from '@tandem/domain';
import { z } from 'zod';

export function safeParseStrict<T extends z.ZodType>(
  schema: T,
  given: unknown,
): z.ZodSafeParseResult<z.output<T>> {
  const value = nullsAsAbsent(schema, given);
  const unknown: z.core.$ZodIssue[] = unknownFields(schema, value).map((path) => {
    const key = String(path[path.length - 1]);
    return {
      code: 'unrecognized_keys',
      keys: [key],
      path: path.slice(0, -1),
      message: `Unrecognized key: "${key}"`,
      input: value,
    } as z.core.$ZodIssue;
  });
  const result = schema.safeParse(value);
  if (unknown.length === 0) return result;
  const named = new Set(unknown.map((issue) => [...issue.path, ...keysOf(issue)].join('.')));
  // A schema strict already (z.strictObject) names the same key: once is enough.
  const others = result.success
    ? []
    : result.error.issues.flatMap((issue): z.core.$ZodIssue[] => {
        if (issue.code !== 'unrecognized_keys') return [issue];
        const keys = issue.keys.filter((key) => !named.has([...issue.path, key].join('.')));
        return keys.length === 0 ? [] : [{ ...issue, keys }];
      });
  return {
    success: false,
    error: new z.ZodError([...unknown, ...others]) as z.ZodError<z.output<T>>,
  };
}

const keysOf = (issue: z.core.$ZodIssue): string[] =>
  issue.code === 'unrecognized_keys' ? issue.keys : [];
