import type { ClickHouseClient } from '@clickhouse/client';
import { useEmbeddedAnalytics } from '../testing/embedded-analytics.fixture';
import { oldLeadEventRow } from '../testing/old-lead-event-rows.fixture';
import {
  applyMigrations,
  loadMigrationFiles,
  migrate,
  renderMigrationSql,
  type MigrationFile,
} from './analytics.migrations';
import { resolveSqlDirectory } from './sql-directory';

// ClickHouse DDL is not transactional: a start killed (SIGKILL) after a migration's statement
// ran and before its schema_migrations row was written leaves it applied and unrecorded, and
// the next start runs it again. A faithful simulation (a real kill cannot be aimed between the
// two): at every boundary, the statement of file k runs as the killed start ran it, then a
// start applies the files up to k (running k again and recording it). The database that went
// through every such kill must end exactly as one migrated once: the same tables, the same
// rows (rows projected by older code included, so the backfills and the in-place rewrites
// have something to repeat on). A kill inside one statement leaves less than the whole
// statement (CREATE is atomic, an INSERT ... SELECT leaves some of its parts, a mutation is
// persisted and resumed), which the full statement run twice covers.
const analytics = useEmbeddedAnalytics('migration-kill');

const event = (id: number, type: string, data: string) =>
  oldLeadEventRow(id, type, data, {
    leadId: `lead-${id % 3}`,
    accountId: id % 2 === 0 ? 'acct-1' : null,
    occurredAt: `2026-01-0${(id % 9) + 1} 00:00:00.000`,
  });
const capture = (content: string) =>
  '{"contactGiven":{"name":true,"email":true},' +
  '"company":{"industry":null,"size":null,"country":null},' +
  `"source":{"channel":"email","campaign":"spring","medium":"newsletter"${content}},` +
  '"productInterest":null,"timeframe":null,"consent":{"marketing":true}}';

/** Rows older code wrote, inserted once the table they go to exists (by migration version). */
const oldRows: ReadonlyMap<number, { table: string; values: object[] }> = new Map([
  [
    1,
    {
      table: 'lead_events',
      values: [
        event(1, 'LeadCaptured', capture(',"content":"to ada@x.example"')),
        event(2, 'LeadCaptured', capture(',"content":null')),
        event(3, 'LeadCaptured', capture('')),
        event(
          4,
          'TouchpointRecorded',
          '{"touchpointId":"t","kind":"ad","channel":"web","campaign":"c","content":"x"}',
        ),
        event(
          5,
          'LeadHandedToSales',
          '{"owner":"o","team":"t","slaDueAt":"2026-01-09T00:00:00Z","rulesVersion":1,"path":"sales_sourced"}',
        ),
        event(6, 'LeadRecycled', '{"reason":"later"}'),
        event(7, 'LeadQualifiedAsMql', '{"rulesVersion":1}'),
        event(8, 'DealWon', '{"amount":"12.5","currency":"EUR"}'),
      ],
    },
  ],
  [
    6,
    {
      table: 'rule_sets',
      values: [
        {
          rules_version: 1,
          definition_hash: 'h',
          name: 'v1',
          kind: 'published',
          status: 'ready',
          revision: 1,
        },
      ],
    },
  ],
  [
    19,
    {
      table: 'lead_funnel_snapshots',
      values: [{ snapshot_id: 1, lead_id: 'lead-1', content: 'to ada@x.example' }],
    },
  ],
  [
    20,
    {
      table: 'lead_funnel_snapshot_markers',
      values: [{ rules_version: 1, definition_hash: 'h', snapshot_id: 1 }],
    },
  ],
]);

async function insertOldRows(client: ClickHouseClient, database: string, version: number) {
  const rows = oldRows.get(version);
  if (rows === undefined) return;
  await client.insert({
    table: `${database}.${rows.table}`,
    values: rows.values,
    format: 'JSONEachRow',
  });
}

async function rows<T>(client: ClickHouseClient, query: string, params: Record<string, unknown>) {
  const result = await client.query({ query, query_params: params, format: 'JSONEachRow' });
  return result.json<T>();
}

/**
 * Every table's definition and rows, as text comparable across databases: rows in a fixed
 * order, FINAL where the engine collapses, groupUniqArray states sorted (their order is the
 * merge's), schema_migrations without its clock.
 */
async function contents(client: ClickHouseClient, database: string): Promise<Map<string, string>> {
  const tables = await rows<{ name: string; engine: string; create: string }>(
    client,
    `SELECT name, engine, create_table_query AS create FROM system.tables
      WHERE database = {db:String} ORDER BY name`,
    { db: database },
  );
  const out = new Map<string, string>();
  for (const table of tables) {
    out.set(`${table.name} (definition)`, table.create.replaceAll(database, 'DB'));
    if (table.engine.includes('View')) continue;
    const columns = await rows<{ name: string; type: string }>(
      client,
      'SELECT name, type FROM system.columns WHERE database = {db:String} AND table = {t:String} ORDER BY position',
      { db: database, t: table.name },
    );
    const selected = columns
      .filter((c) => !(table.name === 'schema_migrations' && c.name === 'applied_at'))
      .map((c) =>
        c.type.includes('groupUniqArray')
          ? `arraySort(\`${c.name}\`) AS \`${c.name}\``
          : `\`${c.name}\``,
      );
    const final = /Replacing|Aggregating/.test(table.engine) ? ' FINAL' : '';
    const result = await client.query({
      query: `SELECT ${selected.join(', ')} FROM \`${database}\`.\`${table.name}\`${final}`,
      format: 'JSONEachRow',
    });
    const lines = (await result.text()).trimEnd().split('\n').sort();
    out.set(table.name, lines.join('\n'));
  }
  return out;
}

describe('ClickHouse migrations after a start killed between a statement and its record', () => {
  it('the next start completes and the database equals one migrated without a kill', async () => {
    const client = analytics.client();
    const sqlDir = resolveSqlDirectory();
    const files: readonly MigrationFile[] = await loadMigrationFiles(sqlDir);
    const killed = `migration_kill_${process.pid}_killed`;
    const clean = `migration_kill_${process.pid}_clean`;

    await applyMigrations(client, killed, sqlDir, []);
    for (const [k, file] of files.entries()) {
      // The killed start (files before k recorded): the statement ran, its record was never
      // written.
      await client.command({ query: renderMigrationSql(file.sql, killed) });
      // The next start: runs it again and records it.
      const restart = await applyMigrations(client, killed, sqlDir, files.slice(0, k + 1));
      expect(restart.applied).toEqual([file.name]);
      await insertOldRows(client, killed, file.version);
      // The same history without a kill.
      await applyMigrations(client, clean, sqlDir, files.slice(0, k + 1));
      await insertOldRows(client, clean, file.version);
    }
    const last = await migrate(client, { database: killed, sqlDir });
    expect(last.applied).toEqual([]);
    await migrate(client, { database: clean, sqlDir });

    const [after, once] = [await contents(client, killed), await contents(client, clean)];
    expect([...after.keys()]).toEqual([...once.keys()]);
    for (const [table, text] of once)
      expect({ table, text: after.get(table) }).toEqual({ table, text });
    // The rows of older code were rewritten (so the repeated rewrites had something to do).
    expect(once.get('lead_events')).not.toContain('ada@x.example');
    expect(once.get('lead_state')).toContain('lead-1');
  });
});
