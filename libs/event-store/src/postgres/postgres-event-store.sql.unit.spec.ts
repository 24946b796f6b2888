import { postgresEventStoreSql, postgresIdempotencySql } from './postgres-event-store.sql';
import { postgresStoreNames } from './postgres-store-names';

describe('postgresEventStoreSql', () => {
  const names = postgresStoreNames('unit_schema');
  const sql = postgresEventStoreSql(names);
  const idempotencySql = postgresIdempotencySql(names);

  it('takes the append lock before it reads the stream revision or inserts', () => {
    const body = sql.schema;
    const lock = body.indexOf(`pg_advisory_xact_lock((${names.appendLockKey.toString()})::bigint)`);
    expect(lock).toBeGreaterThan(-1);
    expect(lock).toBeLessThan(body.indexOf('SELECT max(e.stream_revision)'));
    expect(lock).toBeLessThan(body.indexOf('INSERT INTO'));
    expect(body).toContain(`pg_notify('${names.channel}'`);
  });

  it('keeps every table and function inside the store schema', () => {
    const texts = [
      ...Object.values(sql as unknown as Record<string, string>),
      ...Object.values(idempotencySql as unknown as Record<string, string>),
    ];
    const targets = texts.flatMap((text) =>
      [
        ...text.matchAll(
          /(?<!DISTINCT )\b(?:FROM|INSERT INTO|UPDATE|TABLE IF NOT EXISTS|FUNCTION)\s+([^\s(;]+)/g,
        ),
      ].map((match) => match[1]!),
    );
    // Set-returning functions (ROWS FROM …) and the CTE are not schema objects.
    const objects = targets.filter(
      (target) => !['jsonb_array_elements', 'inserted', 'ROWS'].includes(target),
    );
    expect(objects.length).toBeGreaterThan(5);
    expect(objects.filter((target) => !target.startsWith('"unit_schema".'))).toEqual([]);
  });

  it('passes values only as parameters', () => {
    expect(sql.readAll).toMatch(/\$1::bigint/);
    expect(sql.append).toMatch(/append_events\(\$1::text, \$2::text, \$3::jsonb\)/);
  });

  it('orders by the numeric columns, not by their text aliases', () => {
    expect(sql.readAll).toContain('ORDER BY e.global_position');
    expect(sql.readStream).toContain('ORDER BY e.stream_revision');
  });
});
