/**
 * Would a schema change break a consumer of the previous version? Compares two JSON
 * Schemas of the same event type and schema version (the published one and the current
 * one) and lists every change that would, with its path. Used by schema-compat.unit.spec.ts
 * against the snapshot in libs/contracts/published/<version>/.
 *
 * Both directions matter, because the topic keeps every message for ever:
 *   - old messages, current reader: the current schema must still accept everything the
 *     previous one did, so no new required field, no narrowed type, no removed enum value,
 *     no tightened bound or pattern, no new ban on unknown fields;
 *   - new messages, previous reader: a consumer built on the previous version must still
 *     find what it reads, so no removed or renamed field, no field that stops being always
 *     present, no value of a type it never saw (a field turning nullable is a break).
 * Allowed, because consumers are tolerant readers (they ignore fields they do not know and
 * handle enum values they do not know, and validate shape, not bounds): new optional
 * fields, new enum values, loosened bounds, dropped patterns, annotations (`$id`, `title`,
 * `description`). Anything else that changed in a keyword this module does not know is
 * reported too: a change the checker cannot judge fails loudly rather than passing.
 * A breaking change is a new schema version (a new file, with an upcaster), never an edit.
 * Pure: no I/O.
 */
export type JsonSchema = Record<string, unknown>;

export interface SchemaBreak {
  /** JSON-pointer-like path in the envelope, e.g. `/data/contact/email`. */
  readonly path: string;
  readonly rule:
    | 'field removed'
    | 'field no longer required'
    | 'new required field'
    | 'type narrowed'
    | 'type widened'
    | 'enum value removed'
    | 'const changed'
    | 'constraint tightened'
    | 'unknown fields now refused'
    | 'union changed'
    | 'unjudged keyword changed';
  readonly detail: string;
}

const ANNOTATIONS = new Set(['$schema', '$id', 'title', 'description', 'default', 'examples']);
const STRUCTURE = new Set(['type', 'anyOf', 'properties', 'required', 'items', 'enum', 'const']);
/** Lower bounds: raising one tightens. */
const LOWER = ['minLength', 'minimum', 'exclusiveMinimum', 'minItems', 'minProperties'];
/** Upper bounds: lowering one tightens. */
const UPPER = ['maxLength', 'maximum', 'exclusiveMaximum', 'maxItems', 'maxProperties'];
/** Added or changed tightens; removed loosens. */
const EXACT = ['pattern', 'format', 'propertyNames'];

const isObject = (value: unknown): value is JsonSchema =>
  typeof value === 'object' && value !== null && !Array.isArray(value);
const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);

/** A schema split into one alternative per JSON type (`integer` counts as its own). */
function alternatives(schema: JsonSchema): Map<string, JsonSchema[]> {
  const byType = new Map<string, JsonSchema[]>();
  const add = (type: string, alternative: JsonSchema) =>
    byType.set(type, [...(byType.get(type) ?? []), alternative]);
  if (Array.isArray(schema.anyOf)) {
    const { anyOf, ...shared } = schema;
    for (const branch of anyOf as JsonSchema[]) {
      for (const [type, parts] of alternatives({ ...shared, ...branch })) {
        for (const part of parts) add(type, part);
      }
    }
    return byType;
  }
  const types =
    schema.type === undefined
      ? 'const' in schema
        ? [jsonType(schema.const)]
        : ['any']
      : [schema.type as string | string[]].flat();
  for (const type of types) add(type, { ...schema, type });
  return byType;
}

function jsonType(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  if (Number.isInteger(value)) return 'integer';
  return typeof value;
}

function compareAlternative(
  previous: JsonSchema,
  current: JsonSchema,
  path: string,
): SchemaBreak[] {
  const out: SchemaBreak[] = [];
  const push = (rule: SchemaBreak['rule'], detail: string) =>
    out.push({ path: path || '/', rule, detail });

  if ('const' in previous || 'const' in current) {
    if (!same(previous.const, current.const)) {
      push('const changed', `${JSON.stringify(previous.const)} → ${JSON.stringify(current.const)}`);
    }
  }
  if (Array.isArray(previous.enum) || Array.isArray(current.enum)) {
    const before = (previous.enum as unknown[] | undefined) ?? null;
    const after = (current.enum as unknown[] | undefined) ?? null;
    if (after && !before) push('constraint tightened', 'now restricted to an enum');
    if (before && after) {
      for (const value of before) {
        if (!after.some((candidate) => same(candidate, value))) {
          push('enum value removed', JSON.stringify(value));
        }
      }
    }
  }
  for (const key of LOWER) {
    const [before, after] = [previous[key], current[key]];
    if (typeof after === 'number' && (typeof before !== 'number' || after > before)) {
      push(
        'constraint tightened',
        `${key} ${typeof before === 'number' ? before : 'none'} → ${after}`,
      );
    }
  }
  for (const key of UPPER) {
    const [before, after] = [previous[key], current[key]];
    if (typeof after === 'number' && (typeof before !== 'number' || after < before)) {
      push(
        'constraint tightened',
        `${key} ${typeof before === 'number' ? before : 'none'} → ${after}`,
      );
    }
  }
  for (const key of EXACT) {
    if (key in current && !same(previous[key], current[key])) {
      push('constraint tightened', `${key} added or changed`);
    }
  }
  if (previous.additionalProperties !== false && current.additionalProperties === false) {
    push('unknown fields now refused', 'additionalProperties: false');
  }
  for (const key of new Set([...Object.keys(previous), ...Object.keys(current)])) {
    const judged =
      ANNOTATIONS.has(key) ||
      STRUCTURE.has(key) ||
      [...LOWER, ...UPPER, ...EXACT, 'additionalProperties'].includes(key);
    if (!judged && !same(previous[key], current[key])) {
      push('unjudged keyword changed', key);
    }
  }

  const previousProperties = (previous.properties ?? {}) as Record<string, JsonSchema>;
  const currentProperties = (current.properties ?? {}) as Record<string, JsonSchema>;
  const previousRequired = new Set((previous.required as string[] | undefined) ?? []);
  const currentRequired = new Set((current.required as string[] | undefined) ?? []);
  for (const [name, schema] of Object.entries(previousProperties)) {
    const at = `${path}/${name}`;
    const next = currentProperties[name];
    if (!next) {
      out.push({ path: at, rule: 'field removed', detail: 'a consumer reading it finds nothing' });
      continue;
    }
    if (previousRequired.has(name) && !currentRequired.has(name)) {
      out.push({ path: at, rule: 'field no longer required', detail: 'may now be absent' });
    }
    out.push(...compareSchemas(schema, next, at));
  }
  for (const name of currentRequired) {
    if (!previousRequired.has(name)) {
      out.push({
        path: `${path}/${name}`,
        rule: 'new required field',
        detail: 'messages already on the topic lack it',
      });
    }
  }
  if (isObject(previous.items) && isObject(current.items)) {
    out.push(...compareSchemas(previous.items, current.items, `${path}/items`));
  } else if (isObject(previous.items) !== isObject(current.items)) {
    push('union changed', 'items added or removed');
  }
  return out;
}

/** Every change from `previous` to `current` that would break a consumer (see the header). */
export function compareSchemas(
  previous: JsonSchema,
  current: JsonSchema,
  path = '',
): SchemaBreak[] {
  const before = alternatives(previous);
  const after = alternatives(current);
  if (after.has('any')) return []; // anything goes now: nothing old is refused
  const out: SchemaBreak[] = [];
  const at = path || '/';
  for (const [type, parts] of before) {
    const next = after.get(type) ?? (type === 'integer' ? after.get('number') : undefined);
    if (!next) {
      out.push({ path: at, rule: 'type narrowed', detail: `no longer accepts ${type}` });
      continue;
    }
    if (parts.length !== next.length) {
      out.push({ path: at, rule: 'union changed', detail: `${type}: alternatives differ` });
      continue;
    }
    parts.forEach((part, index) => out.push(...compareAlternative(part, next[index]!, path)));
  }
  for (const type of after.keys()) {
    const widenedFromInteger = type === 'number' && before.has('integer');
    if (!before.has(type) && !before.has('any')) {
      out.push({
        path: at,
        rule: 'type widened',
        detail: widenedFromInteger ? 'integer → number' : `now also ${type}`,
      });
    }
  }
  return out;
}
