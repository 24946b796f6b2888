/**
 * One convention for null in every body the API, the import and publishing take: a field that
 * may be left out may also be sent as null, and null then means exactly what leaving it out
 * means. JSON clients serialise a missing value as null as often as they drop it; before this,
 * `source.campaign: null` or `expectedRevision: null` was a 400 while `team: null` or
 * `note: null` was fine, for no reason a client could see. Fields that take null as a value of
 * their own (`owner: null`, a team-wide target) keep it; required fields still refuse it.
 *
 * Walking the schema (as unknownFields does) rather than marking each field keeps the rule
 * true for a field added later. The OpenAPI document states the same rule from the same test
 * (`takesNullAsAbsent`). It must never judge values: the schema does, after this.
 */
import { z } from 'zod';
import { fieldOf, isPlainObject, shapeOf } from './schema-walk';

/** Whether a field may be left out but does not take null itself: null is read as absent. */
export const takesNullAsAbsent = (field: z.ZodType): boolean =>
  field.safeParse(undefined).success && !field.safeParse(null).success;

/** `value` with every such null field left out, at any depth; other values as given. */
export function nullsAsAbsent(schema: z.ZodType, value: unknown): unknown {
  const shape = shapeOf(schema);
  if (shape instanceof z.ZodArray) {
    return Array.isArray(value)
      ? value.map((entry) => nullsAsAbsent(shape.element as z.ZodType, entry))
      : value;
  }
  if (shape instanceof z.ZodRecord) {
    if (!isPlainObject(value)) return value;
    const entries = Object.entries(value);
    return Object.fromEntries(
      entries.map(([key, entry]) => [key, nullsAsAbsent(shape.valueType as z.ZodType, entry)]),
    );
  }
  if (shape instanceof z.ZodObject) {
    if (!isPlainObject(value)) return value;
    const kept: [string, unknown][] = [];
    for (const [key, entry] of Object.entries(value)) {
      const field = fieldOf(shape, key);
      if (field === undefined) kept.push([key, entry]);
      else if (entry !== null || !takesNullAsAbsent(field))
        kept.push([key, nullsAsAbsent(field, entry)]);
    }
    return Object.fromEntries(kept);
  }
  if (shape instanceof z.ZodUnion) {
    // The first option that takes the value once read this way.
    for (const option of shape.options as readonly z.ZodType[]) {
      const read = nullsAsAbsent(option, value);
      if (option.safeParse(read).success) return read;
    }
    return value;
  }
  if (shape instanceof z.ZodIntersection) {
    return nullsAsAbsent(
      shape.def.right as z.ZodType,
      nullsAsAbsent(shape.def.left as z.ZodType, value),
    );
  }
  return value;
}
