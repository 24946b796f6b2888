/**
 * The fields of a draft that its schema does not know, wherever they sit. zod's objects strip an
 * unknown key silently, which is what reading stored definitions needs (a version published
 * with a field since retired must still fold), but a draft to publish with a typo (`"mqll"`)
 * would go out without the section the user meant. Walking the schema itself, rather than
 * keeping a strict copy of it, keeps one definition of the dictionary's shape: a section added
 * to the schema is known here at once.
 *
 * It must never judge values: the schema does. A value of the wrong kind (a string where an
 * object belongs) is passed over, for the schema names it.
 */
import { z } from 'zod';

export const UNKNOWN_FIELD_MESSAGE = 'is not a field of the definition';

/** Each key of `value` that `schema` does not declare, as its path (`['mql', 'treshold']`). */
export function unknownFields(schema: z.ZodType, value: unknown): PropertyKey[][] {
  const found: PropertyKey[][] = [];
  const visit = (node: z.ZodType, item: unknown, path: PropertyKey[]): void => {
    if (
      node instanceof z.ZodOptional ||
      node instanceof z.ZodNullable ||
      node instanceof z.ZodDefault ||
      node instanceof z.ZodPrefault
    ) {
      visit(node.unwrap() as z.ZodType, item, path);
    } else if (node instanceof z.ZodPipe) {
      visit(node.in as z.ZodType, item, path);
    } else if (node instanceof z.ZodArray) {
      if (Array.isArray(item)) {
        item.forEach((entry, index) => visit(node.element as z.ZodType, entry, [...path, index]));
      }
    } else if (node instanceof z.ZodRecord) {
      // The keys are the schema's to judge (an enum of touchpoint kinds); the values may nest.
      if (isPlainObject(item)) {
        for (const [key, entry] of Object.entries(item))
          visit(node.valueType as z.ZodType, entry, [...path, key]);
      }
    } else if (node instanceof z.ZodObject) {
      if (isPlainObject(item)) {
        const shape = node.shape as Record<string, z.ZodType>;
        // An object that takes any other key (z.looseObject, .catchall(T)) declares it: its
        // catchall judges the value. A strict one's catchall is never, as is no catchall.
        const catchall = node.def.catchall as z.ZodType | undefined;
        const others = catchall instanceof z.ZodNever ? undefined : catchall;
        for (const [key, entry] of Object.entries(item)) {
          const field = Object.hasOwn(shape, key) ? shape[key] : others;
          if (field === undefined) found.push([...path, key]);
          else visit(field, entry, [...path, key]);
        }
      }
    }
  };
  visit(schema, value, []);
  return found;
}

const isPlainObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);
