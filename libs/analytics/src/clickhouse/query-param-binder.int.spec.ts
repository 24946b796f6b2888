/**
 * The in-process binder (query-param-binder.ts) against chDB's own binding: the same statement,
 * the same values, once bound by the engine (the write client) and once by the binder (the
 * read client, as the API's views read), must answer the same bytes; and no value, however
 * adversarial, changes the statement it is bound into. Values are drawn from a seeded generator
 * (the seed is printed on a failure), many per type, with the edges of each type added.
 */
import type { ClickHouseClient } from '@clickhouse/client';
import { seededRandom } from '@tandem/testing';
import { useEmbeddedAnalytics } from '../testing/embedded-analytics.fixture';
import { bindQueryParams } from './query-param-binder';

const analytics = useEmbeddedAnalytics('query-param-binder-int');

/** A seeded generator, so a failing draw can be repeated. */
const generator = seededRandom;

const pieces = [
  "'",
  "''",
  '"',
  '`',
  '\\',
  "\\'",
  '{',
  '}',
  '{v0:String}',
  '{db:Identifier}',
  '\n',
  '\r',
  '\t',
  '\0',
  '\x01',
  '\x1f',
  '\x7f',
  'é',
  'ß',
  '日本',
  '😀',
  '\u202e',
  '\u00a0',
  '--',
  '/*',
  '*/',
  '# ',
  '#!',
  ';',
  'NULL',
  '\\N',
  "') OR 1 = 1 --",
  '); DROP TABLE sentinel; --',
  ' UNION ALL SELECT 1 ',
  'SELECT',
  'FORMAT JSON',
  ' SETTINGS max_threads = 1',
  'x',
  ' ',
  '0',
];

function randomString(random: () => number): string {
  const parts = Math.floor(random() * 8);
  let text = '';
  for (let i = 0; i < parts; i += 1) {
    text +=
      random() < 0.7
        ? pieces[Math.floor(random() * pieces.length)]!
        : String.fromCodePoint(Math.floor(random() * 0x2fff));
  }
  return text;
}

const pad = (n: number, width = 2) => String(n).padStart(width, '0');

function randomDate(random: () => number, fromYear: number, toYear: number): string {
  const year = fromYear + Math.floor(random() * (toYear - fromYear + 1));
  return `${pad(year, 4)}-${pad(1 + Math.floor(random() * 12))}-${pad(1 + Math.floor(random() * 28))}`;
}

function randomDateTime(random: () => number): string {
  const time = `${pad(Math.floor(random() * 24))}:${pad(Math.floor(random() * 60))}:${pad(Math.floor(random() * 60))}`;
  const fraction = ['', '.5', '.05', `.${pad(Math.floor(random() * 1000), 3)}`][
    Math.floor(random() * 4)
  ]!;
  return `${randomDate(random, 1900, 2299)} ${time}${fraction}`;
}

const randomUnsigned = (random: () => number, max: bigint): string =>
  (BigInt(Math.floor(random() * Number.MAX_SAFE_INTEGER)) % (max + 1n)).toString();

/** Per type the bound values: the edges, then `count` drawn at random. */
const valuesOf: Record<string, (random: () => number, count: number) => unknown[]> = {
  String: (random, count) => [
    '',
    ...pieces,
    ...Array.from({ length: count }, () => randomString(random)),
  ],
  UInt8: (random, count) => [
    '0',
    '255',
    '256',
    0,
    255,
    ...Array.from({ length: count }, () => randomUnsigned(random, 255n)),
  ],
  UInt32: (random, count) => [
    '0',
    '4294967295',
    '4294967296',
    4294967295,
    ...Array.from({ length: count }, () => randomUnsigned(random, 4294967295n)),
  ],
  UInt64: (random, count) => [
    '0',
    '18446744073709551615',
    '9007199254740993',
    Number.MAX_SAFE_INTEGER,
    ...Array.from({ length: count }, () => randomUnsigned(random, 18446744073709551615n)),
  ],
  Date: (random, count) => [
    '1970-01-01',
    '2149-06-06',
    '2026-02-28',
    ...Array.from({ length: count }, () => randomDate(random, 1970, 2149)),
  ],
  'DateTime64(3)': (random, count) => [
    '1900-01-01 00:00:00.000',
    '2299-12-31 23:59:59.999',
    ...Array.from({ length: count }, () => randomDateTime(random)),
  ],
  "DateTime64(3, 'UTC')": (random, count) => [
    '1900-01-01 00:00:00.000',
    '2299-12-31 23:59:59.999',
    '2026-03-29 01:30:00',
    ...Array.from({ length: count }, () => randomDateTime(random)),
  ],
  'Array(String)': (random, count) => [
    [],
    [''],
    pieces,
    ...Array.from({ length: count }, () =>
      Array.from({ length: Math.floor(random() * 5) }, () => randomString(random)),
    ),
  ],
  // The attribution credits' weights per model (attributionRowsOfEveryModel): numbers only.
  'Array(UInt32)': (random, count) => [
    [],
    [0],
    [4294967295, 0, 1],
    ...Array.from({ length: count }, () =>
      Array.from({ length: Math.floor(random() * 8) }, () => Math.floor(random() * 4294967296)),
    ),
  ],
  'Array(UInt64)': (random, count) => [
    [],
    [0],
    [Number.MAX_SAFE_INTEGER],
    ...Array.from({ length: count }, () =>
      Array.from({ length: Math.floor(random() * 8) }, () =>
        Math.floor(random() * Number.MAX_SAFE_INTEGER),
      ),
    ),
  ],
  'Nullable(String)': (random, count) => [
    null,
    '',
    'NULL',
    '\\N',
    ...Array.from({ length: count }, () => (random() < 0.2 ? null : randomString(random))),
  ],
};

/** A statement selecting each value twice (as itself and as its type's name), bound by name. */
function statementOf(type: string, values: readonly unknown[]) {
  const columns = values.map((_, i) => `{v${i}:${type}} AS c${i}, toTypeName({v${i}:${type}})`);
  return {
    query: `SELECT ${columns.join(', ')}, 42 AS tail`,
    query_params: Object.fromEntries(values.map((value, i) => [`v${i}`, value])),
  };
}

async function answer(
  client: ClickHouseClient,
  statement: { query: string; query_params: Record<string, unknown> },
): Promise<string> {
  const result = await client.query({ ...statement, format: 'JSONCompactEachRow' });
  return result.text();
}

const seed = Number(process.env.TANDEM_BINDER_SEED ?? 20261130);

describe('the in-process binder against chDB binding', () => {
  it.each(Object.keys(valuesOf))('answers the same for %s values', async (type) => {
    const random = generator(seed + type.length);
    const values = valuesOf[type]!(random, 300);
    // In statements of 40 values: fewer statements, each still small.
    for (let from = 0; from < values.length; from += 40) {
      const statement = statementOf(type, values.slice(from, from + 40));
      const native = await answer(analytics.client(), statement);
      const bound = await answer(analytics.reader(), statement);
      if (bound !== native) {
        throw new Error(`seed ${seed}, ${type}, values from ${from}: ${bound} !== ${native}`);
      }
    }
  });

  // chDB's own Identifier substitution writes a backslash or a control character of the name
  // escaped (a column named `\n` is named backslash-n), so the two agree only on names without
  // them, which are all Tandem binds (validated database names, its own table names); the
  // binder names the column exactly as given whatever the name.
  it('names a column by any identifier, as chDB does where chDB keeps the name', async () => {
    const random = generator(seed);
    const names = [...pieces, ...Array.from({ length: 200 }, () => randomString(random))].filter(
      (name) => name !== '' && !name.includes('\0'),
    );
    const unique = [...new Set(names)];
    const escapedByChdb = (name: string) => /[\\\x00-\x1f]/.test(name);
    for (let from = 0; from < unique.length; from += 40) {
      const slice = unique.slice(from, from + 40);
      const statement = {
        query: `SELECT ${slice.map((_, i) => `${i} AS {n${i}:Identifier}`).join(', ')}`,
        query_params: Object.fromEntries(slice.map((name, i) => [`n${i}`, name])),
      };
      const read = async (client: ClickHouseClient) =>
        (await client.query({ ...statement, format: 'JSONCompactEachRowWithNames' })).text();
      const [boundNames] = (await read(analytics.reader())).split('\n');
      const [nativeNames] = (await read(analytics.client())).split('\n');
      const bound = JSON.parse(boundNames!) as string[];
      const native = JSON.parse(nativeNames!) as string[];
      expect(bound).toEqual(slice);
      slice.forEach((name, i) => {
        if (!escapedByChdb(name)) expect(bound[i]).toBe(native[i]);
      });
    }
  });

  it('refuses what chDB refuses: a malformed number or time is an error on both', async () => {
    for (const [type, value] of [
      ['UInt64', '-1'],
      ['UInt8', ' 5'],
      ['UInt32', '1e3'],
      ["DateTime64(3, 'UTC')", '2026-01-02T03:04:05Z'],
      ['Date', 'yesterday'],
    ] as const) {
      const statement = { query: `SELECT {v:${type}}`, query_params: { v: value } };
      await expect(answer(analytics.client(), statement)).rejects.toThrow();
      await expect(answer(analytics.reader(), statement)).rejects.toThrow();
    }
  });
});

describe('a long bound list', () => {
  // The leads changed since a snapshot, bound as one Array(String): bound in the process the
  // list is statement text, over the parser's default max_query_size (256 KiB) here.
  it('answers as chDB binding does, past the default statement size', async () => {
    const leads = Array.from({ length: 20_000 }, (_, i) => `lead-${i}-5d5ec4a0-0000-7000-8000`);
    const statement = {
      query: 'SELECT length({leads:Array(String)}) AS n, {leads:Array(String)}[20000] AS last',
      query_params: { leads },
    };
    expect(
      Buffer.byteLength(bindQueryParams(statement.query, statement.query_params)),
    ).toBeGreaterThan(262_144);
    const bound = await answer(analytics.reader(), statement);
    expect(bound).toBe(await answer(analytics.client(), statement));
    expect(JSON.parse(bound)).toEqual([20_000, leads.at(-1)]);
  });
});

describe('a bound value never changes the statement', () => {
  it('leaves one row of the same columns, each value read back as given', async () => {
    const client = analytics.client();
    const database = await analytics.freshDatabase();
    await client.command({
      query: 'CREATE TABLE {db:Identifier}.sentinel (x UInt8) ENGINE = MergeTree ORDER BY x',
      query_params: { db: database },
    });
    await client.command({
      query: 'INSERT INTO {db:Identifier}.sentinel VALUES (1)',
      query_params: { db: database },
    });
    const random = generator(seed + 1);
    const values = [...pieces, ...Array.from({ length: 300 }, () => randomString(random))];
    for (const value of values) {
      const query =
        'SELECT {s:String} AS s, {a:Array(String)} AS a, {z:Nullable(String)} AS z, ' +
        "'{s:String}' AS quoted, toUInt8(count()) AS rows FROM {db:Identifier}.sentinel -- {s:String}";
      const params = { s: value, a: [value, value], z: value, db: database };
      // The bound text has no placeholder left outside a literal, and every quote it opens, it
      // closes: binding it again with no values changes nothing.
      const bound = bindQueryParams(query, params);
      expect(bindQueryParams(bound, {})).toBe(bound);
      const rows = await (
        await analytics.reader().query({ query, query_params: params, format: 'JSONEachRow' })
      ).json();
      expect(rows).toEqual([
        { s: value, a: [value, value], z: value, quoted: '{s:String}', rows: 1 },
      ]);
    }
    const sentinel = await client.query({
      query: 'SELECT x FROM {db:Identifier}.sentinel',
      query_params: { db: database },
      format: 'JSONCompactEachRow',
    });
    expect(await sentinel.json()).toEqual([[1]]);
  });
});
