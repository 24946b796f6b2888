import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { currentSchemaVersions, eventDataSchemas } from '@tandem/contracts';
import { resolveSqlDirectory } from '../../clickhouse/sql-directory';
import { generatedSqlFiles, leadEventFields, leadEventSchemaVersions } from './log-row.sql-builder';

describe('the generated projection SQL', () => {
  it.each(Object.entries(generatedSqlFiles))('%s is committed as generated', (file, build) => {
    // Run `npm run sql:generate` after changing the builder.
    expect(readFileSync(join(resolveSqlDirectory(), file), 'utf8')).toBe(build());
  });
});

/** The keys of a zod object schema, nested objects as `parent.child`. */
function keys(shape: Record<string, unknown>, prefix = ''): string[] {
  return Object.entries(shape).flatMap(([key, schema]) => {
    let inner = schema as { def?: { type?: string; innerType?: unknown; shape?: unknown } };
    while (inner.def?.innerType !== undefined && inner.def.type !== 'object') {
      inner = inner.def.innerType as typeof inner;
    }
    const nested =
      inner.def?.type === 'object' ? (inner.def.shape as Record<string, unknown>) : null;
    return nested === null ? [`${prefix}${key}`] : keys(nested, `${prefix}${key}.`);
  });
}

function fieldKeys(
  fields: Record<string, { type: { kind: string; fields?: unknown } }>,
  prefix = '',
): string[] {
  return Object.entries(fields).flatMap(([key, field]) =>
    field.type.kind === 'object'
      ? fieldKeys(field.type.fields as typeof fields, `${prefix}${key}.`)
      : [`${prefix}${key}`],
  );
}

describe('the fast path field list', () => {
  it.each(Object.keys(leadEventFields))('names exactly the fields of the %s contract', (type) => {
    const schema = eventDataSchemas[type as keyof typeof leadEventFields] as unknown as {
      shape: Record<string, unknown>;
    };
    expect(fieldKeys(leadEventFields[type as keyof typeof leadEventFields]).sort()).toEqual(
      keys(schema.shape).sort(),
    );
  });
});

describe('the schema versions the fast path takes', () => {
  it.each(Object.keys(leadEventFields))('%s: the contract’s current version', (type) => {
    const lead = type as keyof typeof leadEventFields;
    expect(leadEventSchemaVersions[lead] ?? 1).toBe(currentSchemaVersions[lead]);
  });
});
