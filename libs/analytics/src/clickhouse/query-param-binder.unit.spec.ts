import { formatQueryParams } from '@clickhouse/client-common';
import { bindQueryParams, InvalidQueryParameterValueError } from './query-param-binder';

describe('bindQueryParams', () => {
  it('writes each placeholder as a typed literal and an identifier backquoted', () => {
    expect(
      bindQueryParams(
        "SELECT {v:String}, {n:UInt64}, {t:DateTime64(3, 'UTC')} FROM {db:Identifier}.{t_:Identifier}",
        { v: "it's", n: '42', t: '2026-01-02 03:04:05.678', db: 'a`b\\c', t_: 'lead_state' },
      ),
    ).toBe(
      "SELECT CAST('it\\'s' AS String), CAST('42' AS UInt64), " +
        "CAST('2026-01-02 03:04:05.678' AS DateTime64(3, 'UTC')) FROM `a\\`b\\\\c`.`lead_state`",
    );
  });

  it('writes arrays, nulls, numbers, NUL and control characters as literals', () => {
    expect(
      bindQueryParams('{a:Array(String)} {e:Array(String)} {z:Nullable(String)} {n:UInt32}', {
        a: ["x'", 'y\n'],
        e: [],
        z: null,
        n: 7,
      }),
    ).toBe(
      "CAST(['x\\'','y\\n'] AS Array(String)) CAST([] AS Array(String)) " +
        'CAST(NULL AS Nullable(String)) CAST(7 AS UInt32)',
    );
    expect(bindQueryParams('{v:String}', { v: 'a\0b\tc\\' })).toBe(
      "CAST('a\\0b\\tc\\\\' AS String)",
    );
  });

  // Strings with nothing to escape skip the formatter (the leads changed since a snapshot:
  // thousands per read); every string still reads as the formatter writes it.
  it('writes every string and list of strings as the formatter does', () => {
    const chars = ['a', 'Z', '0', '-', ' ', "'", '\\', '\t', '\n', '\r', '\0', 'é', '😀', '{', '`'];
    let seed = 7;
    const next = () => (seed = (seed * 48271) % 2147483647) / 2147483647;
    const strings = [
      '',
      '5d5ec4a0-0000-7000-8000-000000000001',
      ...Array.from({ length: 500 }, () =>
        Array.from(
          { length: Math.floor(next() * 12) },
          () => chars[Math.floor(next() * chars.length)],
        ).join(''),
      ),
    ];
    const formatter = (value: unknown) =>
      formatQueryParams({ value, wrapStringInQuotes: true, printNullAsKeyword: true }).replaceAll(
        '\0',
        '\\0',
      );
    for (const value of strings) {
      expect(bindQueryParams('{v:String}', { v: value })).toBe(
        `CAST(${formatter(value)} AS String)`,
      );
    }
    for (let from = 0; from < strings.length; from += 7) {
      const list = strings.slice(from, from + 7);
      expect(bindQueryParams('{a:Array(String)}', { a: list })).toBe(
        `CAST(${formatter(list)} AS Array(String))`,
      );
    }
  });

  it('leaves braces inside string literals, quoted identifiers and comments alone', () => {
    const sql = [
      "SELECT '{v:String}', 'it''s {v:String}', 'a\\' {v:String}'",
      ', "{v:String}", `{v:String}`',
      '-- {v:String}',
      '/* {v:String} /* nested {v:String} */ still {v:String} */',
      '# {v:String}',
      ", {v:String}, map('k', 1)",
    ].join('\n');
    const bound = bindQueryParams(sql, { v: 'x' });
    expect(bound).toBe(sql.replace(/, \{v:String\}, map/, ", CAST('x' AS String), map"));
  });

  it('leaves a brace that is not a placeholder alone', () => {
    expect(bindQueryParams("SELECT {'k': 1}, {v:String}", { v: 'x' })).toBe(
      "SELECT {'k': 1}, CAST('x' AS String)",
    );
  });

  it('refuses unsupported types, missing parameters and values of the wrong kind', () => {
    const refused = (sql: string, params: Record<string, unknown>) =>
      expect(() => bindQueryParams(sql, params)).toThrow(InvalidQueryParameterValueError);
    refused('{v:Float64}', { v: '1' });
    refused('{v:Map(String, String)}', { v: {} });
    refused('{v:String}', {});
    refused('{v:String}', { v: undefined });
    refused('{v:String}', { v: 1 });
    refused('{v:String}', { v: null });
    refused('{v:UInt64}', { v: '-1' });
    refused('{v:UInt64}', { v: ' 1' });
    refused('{v:UInt64}', { v: 1.5 });
    refused('{v:UInt64}', { v: -1 });
    refused('{v:UInt64}', { v: '1; DROP TABLE x' });
    refused("{v:DateTime64(3, 'UTC')}", { v: '2026-01-02T03:04:05Z' });
    refused("{v:DateTime64(3, 'UTC')}", { v: "2026-01-02 03:04:05') OR (1" });
    refused('{v:Date}', { v: '2026-1-2' });
    refused('{v:Array(String)}', { v: 'x' });
    refused('{v:Array(String)}', { v: ['x', 1] });
    refused('{v:Array(String)}', { v: [null] });
    refused('{v:Identifier}', { v: '' });
    refused('{v:Identifier}', { v: 'a\0b' });
    refused("SELECT 'open {v:String}", { v: 'x' });
    refused('SELECT /* open {v:String}', { v: 'x' });
  });

  it('binds what a statement asks for and ignores parameters it does not name', () => {
    expect(bindQueryParams('SELECT 1', { unused: 'x' })).toBe('SELECT 1');
    expect(bindQueryParams('SELECT { v : String }', { v: 'x' })).toBe("SELECT CAST('x' AS String)");
  });
});
