/**
 * What the walks over a body's schema (unknownFields, nullsAsAbsent) share: the node that says
 * a value's shape once the wrappers that only qualify it (optional, nullable, a default, a
 * pipe's input, readonly, lazy) are taken off. It must never judge a value: the schema does.
 */
import { z } from 'zod';

/** `node` without its qualifying wrappers: an object, array, record, union, or a leaf. */
export function shapeOf(node: z.ZodType): z.ZodType {
  let current = node;
  for (;;) {
    if (
      current instanceof z.ZodOptional ||
      current instanceof z.ZodNullable ||
      current instanceof z.ZodDefault ||
      current instanceof z.ZodPrefault ||
      current instanceof z.ZodNonOptional ||
      current instanceof z.ZodReadonly ||
      current instanceof z.ZodCatch ||
      current instanceof z.ZodLazy
    ) {
      current = current.unwrap() as z.ZodType;
    } else if (current instanceof z.ZodPipe) {
      current = current.in as z.ZodType;
    } else {
      return current;
    }
  }
}

/**
 * zod leaves a `__proto__` key out of what it returns unless a shape names it, even where a
 * catchall or a record takes every other key (writing it would replace the output's
 * prototype): such a key is never taken, so the walks name it as one the schema does not know.
 */
export const PROTOTYPE_KEY = '__proto__';

/**
 * The schema of an object's key: its own field, else its catchall (z.looseObject,
 * .catchall(T)); undefined for a key it does not declare (a strict object's catchall is never,
 * as is no catchall, and no catchall takes `__proto__`).
 */
export function fieldOf(node: z.ZodObject, key: string): z.ZodType | undefined {
  const shape = node.shape as Record<string, z.ZodType>;
  if (Object.hasOwn(shape, key)) return shape[key];
  if (key === PROTOTYPE_KEY) return undefined;
  const catchall = node.def.catchall as z.ZodType | undefined;
  return catchall instanceof z.ZodNever ? undefined : catchall;
}

/** The first option of a union that takes `value` as it is: the one zod keeps. */
export const optionTaking = (node: z.ZodUnion, value: unknown): z.ZodType | undefined =>
  (node.options as readonly z.ZodType[]).find((option) => option.safeParse(value).success);

export const isPlainObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);
