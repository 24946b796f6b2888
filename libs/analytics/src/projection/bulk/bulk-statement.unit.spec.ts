import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { resolveSqlDirectory } from '../../clickhouse/sql-directory';
import { inlineBulkStatement, UnsafeBulkStatementError } from './bulk-statement';

const values = { db: 'tandem', staging: 'event_log_staging_b', from: 1n, to: 250_000n } as const;

describe('inlineBulkStatement', () => {
  it('inlines every placeholder of the shipped fast path, and only those', () => {
    const sql = readFileSync(
      join(resolveSqlDirectory(), 'projection', 'lead-events-from-staging.sql'),
      'utf8',
    );
    const placeholders = sql.match(/\{[A-Za-z_]\w*:[^{}]*\}/g) ?? [];
    expect(new Set(placeholders)).toEqual(
      new Set(['{db:Identifier}', '{staging:Identifier}', '{from:UInt64}', '{to:UInt64}']),
    );

    const literal = inlineBulkStatement(sql, values);

    expect(literal).not.toMatch(/\{[A-Za-z_]\w*:[^{}]*\}/);
    expect(literal).toContain('INSERT INTO `tandem`.lead_events');
    expect(literal).toContain('FROM `tandem`.`event_log_staging_b`');
    expect(literal).toContain('WHERE global_position BETWEEN 1 AND 250000');
    // Nothing else moved: the text outside the placeholders is the file's.
    expect(literal.replace(/`tandem`|`event_log_staging_b`|\b1 AND 250000\b/g, '')).toBe(
      sql.replace(
        /\{db:Identifier\}|\{staging:Identifier\}|\{from:UInt64\} AND \{to:UInt64\}/g,
        '',
      ),
    );
  });

  it.each([
    ['an unknown placeholder', 'SELECT {name:String}', values],
    ['a known name with another type', 'SELECT {from:String}', values],
    [
      'a database name analyticsDatabase refuses',
      'FROM {db:Identifier}.t',
      { ...values, db: 'a`b' },
    ],
    [
      'a staging table that is not one of the two',
      'FROM {staging:Identifier}',
      { ...values, staging: 'lead_events' as 'event_log_staging' },
    ],
    ['a negative position', 'WHERE p > {from:UInt64}', { ...values, from: -1n }],
    ['a position past UInt64', 'WHERE p <= {to:UInt64}', { ...values, to: 1n << 64n }],
    [
      'a position that is not a bigint',
      'WHERE p <= {to:UInt64}',
      { ...values, to: '1 OR 1=1' as unknown as bigint },
    ],
  ])('refuses %s', (_, sql, given) => {
    expect(() => inlineBulkStatement(sql, given)).toThrow(UnsafeBulkStatementError);
  });
});
