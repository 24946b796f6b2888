import { bindInline } from './bulk-log-projection';

describe('bindInline', () => {
  it('binds identifiers backquoted and unsigned integers as they are', () => {
    expect(
      bindInline('SELECT 1 FROM {db:Identifier}.{staging:Identifier} WHERE p <= {to:UInt64}', {
        db: 'tandem_1',
        staging: 'event_log_staging',
        to: '18446744073709551615',
      }),
    ).toBe('SELECT 1 FROM `tandem_1`.`event_log_staging` WHERE p <= 18446744073709551615');
  });

  it('leaves braces that are not placeholders alone', () => {
    expect(bindInline(`SELECT '{"kind":1}', match(x, 'a{0,2}')`, {})).toBe(
      `SELECT '{"kind":1}', match(x, 'a{0,2}')`,
    );
  });

  it.each([
    ['an identifier that needs quoting', '{db:Identifier}', { db: 'x`; DROP TABLE y' }],
    ['a number that is not an unsigned integer', '{to:UInt64}', { to: '1 OR 1' }],
    ['a type it does not bind', '{name:String}', { name: 'a' }],
    ['a placeholder without a value', '{from:UInt64}', {}],
  ])('refuses %s', (_case, sql, values: Record<string, string>) => {
    expect(() => bindInline(sql, values)).toThrow();
  });
});
