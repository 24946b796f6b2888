import {
  postgresApiKeySql,
  postgresEventStoreSql,
  postgresIdempotencySql,
} from './postgres-event-store.sql';
import { postgresStoreNames } from './postgres-store-names';

describe('postgresEventStoreSql', () => {
  const names = postgresStoreNames('unit_schema');
  const sql = postgresEventStoreSql(names);
  const idempotencySql = postgresIdempotencySql(names);
  const apiKeySql = postgresApiKeySql(names);

  it('queues writers of one stream before it reads the stream revision or inserts', () => {
    const body = sql.schema.slice(sql.schema.indexOf('FUNCTION "unit_schema".append_events'));
    const lock = body.indexOf(
      `pg_advisory_xact_lock(${names.streamLockClass}, hashtext(p_stream_id))`,
    );
    expect(lock).toBeGreaterThan(-1);
    expect(lock).toBeLessThan(body.indexOf('SELECT max(e.stream_revision)'));
    expect(lock).toBeLessThan(body.indexOf('INSERT INTO'));
    expect(body).toContain(`pg_notify('${names.channel}'`);
  });

  it('draws positions and the horizon under the short lock, and always releases it', () => {
    const draw = sql.schema.slice(
      sql.schema.indexOf('FUNCTION "unit_schema".draw_positions'),
      sql.schema.indexOf('FUNCTION "unit_schema".append_events'),
    );
    const key = `(${names.appendLockKey.toString()})::bigint`;
    const lock = draw.indexOf(`pg_advisory_lock(${key})`);
    const unlock = draw.indexOf(`pg_advisory_unlock(${key})`);
    expect(lock).toBeGreaterThan(-1);
    expect(draw.indexOf('nextval(')).toBeGreaterThan(lock);
    expect(draw.indexOf(`setval('"unit_schema".append_horizon'`)).toBeLessThan(unlock);
    // The error path releases it too.
    expect(draw.slice(draw.indexOf('EXCEPTION'))).toContain(`pg_advisory_unlock(${key})`);
  });

  it('reads only rows whose horizon is below the snapshot xmin', () => {
    for (const text of [sql.readAll, sql.headPosition]) {
      expect(text).toContain(
        'e.horizon_xid < (SELECT pg_snapshot_xmin(pg_current_snapshot())::text::bigint)',
      );
    }
  });

  it('reads the events table in appends only through EXECUTE, never with a cached plan', () => {
    const functions = sql.schema.slice(sql.schema.indexOf('FUNCTION "unit_schema".append_events'));
    const reads = [...functions.matchAll(/FROM "unit_schema"\.events e/g)].map((m) => m.index);
    // require_streams_at: each stream's revision (conditions, a multi-stream append's streams);
    // append_events: revision, duplicates; append_events_multi: duplicates; append_events_group:
    // the same two as append_events. (The bulk append's check is a statement of its own, planned
    // per call: postgres-bulk-append.ts.)
    expect(reads).toHaveLength(6);
    for (const at of reads) {
      expect(functions.lastIndexOf('EXECUTE', at)).toBeGreaterThan(functions.lastIndexOf(';', at));
    }
  });

  it('keeps every table and function inside the store schema', () => {
    const texts = [
      ...Object.values(sql as unknown as Record<string, string>),
      ...Object.values(idempotencySql as unknown as Record<string, string>),
      ...Object.values(apiKeySql as unknown as Record<string, string>),
    ];
    const targets = texts.flatMap((text) =>
      [
        ...text.matchAll(
          /(?<!DISTINCT )\b(?:FROM|INSERT INTO|UPDATE|TABLE IF NOT EXISTS|FUNCTION(?: IF EXISTS)?)\s+([^\s(;]+)/g,
        ),
      ].map((match) => match[1]!),
    );
    // Set-returning functions (ROWS FROM …) and the CTEs are not schema objects.
    const objects = targets.filter(
      (target) =>
        ![
          'jsonb_array_elements',
          'unnest',
          'ROWS',
          'pg_attribute',
          'pg_index',
          'pg_stat_progress_create_index',
          'wanted',
          'inserted',
        ].includes(target),
    );
    expect(objects.length).toBeGreaterThan(5);
    expect(objects.filter((target) => !target.startsWith('"unit_schema".'))).toEqual([]);
  });

  it('builds the merge index in the schema on one session only; a server builds it CONCURRENTLY', () => {
    expect(sql.schema).not.toContain('events_merged_into');
    expect(sql.createMergesIndex).toMatch(/^CREATE INDEX CONCURRENTLY IF NOT EXISTS/);
    expect(sql.dropInvalidMergesIndex).toMatch(/^DROP INDEX CONCURRENTLY IF EXISTS/);
    const single = postgresEventStoreSql(names, { singleSession: true });
    expect(single.schema).toContain(
      `CREATE INDEX events_merged_into ON "unit_schema".events ((data ->> 'intoLeadId'))`,
    );
  });

  it('records a group’s new lead keys in its statement, before its events and their positions', () => {
    const group = sql.schema.slice(
      sql.schema.indexOf('FUNCTION "unit_schema".append_events_group'),
      sql.schema.indexOf('DROP FUNCTION IF EXISTS "unit_schema".append_events_group(jsonb)'),
    );
    const keys = group.indexOf('INSERT INTO "unit_schema".personal_data_keys');
    expect(keys).toBeGreaterThan(-1);
    expect(keys).toBeLessThan(group.indexOf('"unit_schema".draw_positions('));
    expect(keys).toBeLessThan(group.indexOf('INSERT INTO "unit_schema".events'));
    // An existing row (a key, a tombstone) is never overwritten by a group.
    expect(group.slice(keys)).toMatch(/^[^;]*ON CONFLICT \(lead_id\) DO NOTHING/);
    expect(sql.appendGroup).toMatch(/append_events_group\(\$1::jsonb, \$2::jsonb\)/);
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
