/**
 * A view's row declared once: its columns as the SQL names them (snake_case, in output order),
 * each with its zod parser and whether it is a number. From that one declaration follow the
 * row type (camelCase keys), the strict parser, the column list in order, and which columns
 * CSV writes as numbers — so a column is spelled once, not in an interface, a schema, a
 * mapping and a CSV list that can drift apart.
 *
 * It must stay strict: an unknown or missing column, or a value of the wrong kind, throws.
 */
import { z } from 'zod';

/** One column: its parser, and whether CSV must write it as a number (never neutralised). */
export interface Column<Schema extends z.ZodType = z.ZodType> {
  readonly schema: Schema;
  readonly numeric: boolean;
}

/** A text column (channel, owner, stage, …): CSV neutralises formula-looking text. */
export const text = <Schema extends z.ZodType>(schema: Schema): Column<Schema> => ({
  schema,
  numeric: false,
});
/** A number, a rate, or a map of exact decimals / counts: CSV writes it as it is. */
export const numeric = <Schema extends z.ZodType>(schema: Schema): Column<Schema> => ({
  schema,
  numeric: true,
});

type CamelCase<Name extends string> = Name extends `${infer Head}_${infer Tail}`
  ? `${Head}${Capitalize<CamelCase<Tail>>}`
  : Name;

export type Columns = Readonly<Record<string, Column>>;

/** The row a declaration parses into: camelCase keys, readonly, typed by each column's parser. */
export type RowOf<Declared extends Columns> = {
  readonly [Name in keyof Declared & string as CamelCase<Name>]: z.output<Declared[Name]['schema']>;
};

export interface RowDeclaration<Declared extends Columns> {
  /** The declaration itself, for `RowOf<typeof row.declared>`. */
  readonly declared: Declared;
  /** Column names of the row type, in the SQL's output order (CSV header order). */
  readonly columns: readonly (keyof RowOf<Declared> & string)[];
  /** The columns CSV writes as numbers. */
  readonly numeric: readonly (keyof RowOf<Declared> & string)[];
  /** Parses ClickHouse's JSONEachRow rows, strictly. */
  parse(rows: unknown): RowOf<Declared>[];
  /**
   * The JSON Schema (2020-12) of one row as the API answers it: camelCase keys in column order,
   * each the output of its column's parser (the OpenAPI document's row schema).
   */
  jsonSchema(): Record<string, unknown>;
}

const camelCase = (name: string): string =>
  name.replace(/_([a-z0-9])/g, (_match, next: string) => next.toUpperCase());

export function declareRow<const Declared extends Columns>(
  declared: Declared,
): RowDeclaration<Declared> {
  const names = Object.keys(declared);
  const shape = Object.fromEntries(names.map((name) => [name, declared[name]!.schema]));
  const row = z
    .strictObject(shape)
    .transform(
      (parsed) =>
        Object.fromEntries(
          names.map((name) => [camelCase(name), (parsed as Record<string, unknown>)[name]]),
        ) as RowOf<Declared>,
    );
  type Key = keyof RowOf<Declared> & string;
  const answered = z.strictObject(
    Object.fromEntries(names.map((name) => [camelCase(name), declared[name]!.schema])),
  );
  return {
    declared,
    columns: names.map(camelCase) as Key[],
    numeric: names.filter((name) => declared[name]!.numeric).map(camelCase) as Key[],
    parse: (rows) => z.array(row).parse(rows),
    jsonSchema: () => {
      // The document states its own dialect; a bare schema is what an operation embeds.
      const { $schema: _dialect, ...schema } = z.toJSONSchema(answered, { io: 'output' });
      return schema;
    },
  };
}
