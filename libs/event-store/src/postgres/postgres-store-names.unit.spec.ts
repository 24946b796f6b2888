import { DEFAULT_SCHEMA, advisoryLockKey, postgresStoreNames } from './postgres-store-names';

describe('postgresStoreNames', () => {
  it('derives every name from the schema', () => {
    const names = postgresStoreNames('tandem_test');
    expect(names).toMatchObject({
      schema: 'tandem_test',
      quotedSchema: '"tandem_test"',
      channel: 'tandem_test_appended',
    });
    expect(names.appendLockKey).not.toBe(names.initLockKey);
  });

  it('defaults to the tandem schema', () => {
    expect(postgresStoreNames().schema).toBe(DEFAULT_SCHEMA);
  });

  it('gives different schemas different lock keys, so stores do not block each other', () => {
    expect(postgresStoreNames('a').appendLockKey).not.toBe(postgresStoreNames('b').appendLockKey);
  });

  it.each(['', 'Tandem', '1tandem', 'tan-dem', 'tandem"; DROP TABLE x; --', 'x'.repeat(49)])(
    'refuses the schema name %p',
    (schema) => {
      expect(() => postgresStoreNames(schema)).toThrow(/invalid event-store schema/);
    },
  );
});

describe('advisoryLockKey', () => {
  it('is FNV-1a 64 as a signed bigint, stable across processes and releases', () => {
    // Reference values of FNV-1a 64: the empty string is the offset basis; "a" is published.
    expect(advisoryLockKey('')).toBe(BigInt.asIntN(64, 0xcbf29ce484222325n));
    expect(advisoryLockKey('a')).toBe(BigInt.asIntN(64, 0xaf63dc4c8601ec8cn));
  });

  it('fits PostgreSQL bigint', () => {
    for (const text of ['tandem', 'x', 'event-store:append:some_schema']) {
      const key = advisoryLockKey(text);
      expect(key).toBeGreaterThanOrEqual(-(2n ** 63n));
      expect(key).toBeLessThan(2n ** 63n);
    }
  });
});
