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
import { fieldOf, isPlainObject, optionTaking, PROTOTYPE_KEY, shapeOf } from './schema-walk';

export const UNKNOWN_FIELD_MESSAGE = 'is not a field of the definition';

/** Each key of `value` that `schema` does not declare, as its path (`['mql', 'treshold']`). */
export function unknownFields(schema: z.ZodType, value: unknown): PropertyKey[][] {
  const visit = (node: z.ZodType, item: unknown, path: PropertyKey[]): PropertyKey[][] => {
    const shape = shapeOf(node);
    if (shape instanceof z.ZodArray) {
      if (!Array.isArray(item)) return [];
      return item.flatMap((entry, index) =>
        visit(shape.element as z.ZodType, entry, [...path, index]),
      );
    }
    if (shape instanceof z.ZodRecord) {
      // The keys are the schema's to judge (an enum of touchpoint kinds), but for `__proto__`,
      // which zod drops without a word; the values may nest.
      if (!isPlainObject(item)) return [];
      return Object.entries(item).flatMap(([key, entry]) =>
        key === PROTOTYPE_KEY
          ? [[...path, key]]
          : visit(shape.valueType as z.ZodType, entry, [...path, key]),
      );
    }
    if (shape instanceof z.ZodObject) {
      if (!isPlainObject(item)) return [];
      return Object.entries(item).flatMap(([key, entry]) => {
        // An object that takes any other key declares it: its catchall judges the value.
        const field = fieldOf(shape, key);
        return field === undefined ? [[...path, key]] : visit(field, entry, [...path, key]);
      });
    }
    if (shape instanceof z.ZodUnion) {
      // The option zod keeps strips what it does not declare, as any object does: walk that
      // one. When none takes the value the schema refuses it anyway; name what no option
      // declares (a discriminated union included: it is a union whose options are objects).
      const taken = optionTaking(shape, item);
      if (taken !== undefined) return visit(taken, item, path);
      return common(
        (shape.options as readonly z.ZodType[]).map((option) => visit(option, item, path)),
      );
    }
    if (shape instanceof z.ZodIntersection) {
      // A key either side declares is declared.
      return common([
        visit(shape.def.left as z.ZodType, item, path),
        visit(shape.def.right as z.ZodType, item, path),
      ]);
    }
    return [];
  };
  return visit(schema, value, []);
}

/** The paths found by every one of the walks. */
function common([first = [], ...others]: PropertyKey[][][]): PropertyKey[][] {
  const spelled = (path: PropertyKey[]) => JSON.stringify(path.map(String));
  const rest = others.map((found) => new Set(found.map(spelled)));
  return first.filter((path) => rest.every((found) => found.has(spelled(path))));
}
