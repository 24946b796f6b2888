/**
 * `node dist-bench/bench/projection-fingerprint.js --run-dir DIR [--out FILE]`: the contents of
 * every projected table of a finished run (bench:rebuild with `--run-dir`), one line per table:
 * rows and an order-free hash of them, merged (FINAL), unordered sets sorted. Two runs over the
 * same events that print the same lines projected the same rows, whatever their batching; it is
 * how a change to the projection's speed proves it changed nothing else (diff the two outputs).
 * Columns that say when a row was written, not what (a rule set's heartbeat and revision, the
 * time an event was set aside), are left out. Run it with the API stopped: chDB opens the
 * directory itself.
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { closeAnalyticsClient, createAnalyticsClient } from '@tandem/analytics';

const WRITE_TIME_COLUMNS: Readonly<Record<string, readonly string[]>> = {
  rule_sets: ['heartbeat_at', 'revision'],
  projection_dead_letters: ['dead_lettered_at'],
};
/**
 * Bookkeeping and scratch space, not projected facts; the per-lead funnel snapshots, their
 * day rollups, attribution credits and the reconciliation's kept event witness are a cache of the views (random ids, taken when a view asks), emptied by every
 * rebuild.
 */
const SKIPPED = new Set([
  'schema_migrations',
  'event_log_staging',
  'event_log_staging_b',
  'lead_funnel_snapshots',
  'lead_funnel_snapshot_markers',
  'lead_funnel_rollups',
  'lead_funnel_rollup_markers',
  'lead_attribution_credits',
  'lead_attribution_credit_markers',
  'lead_event_audits',
  'lead_event_audit_markers',
]);

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      'run-dir': { type: 'string' },
      database: { type: 'string', default: 'tandem' },
      out: { type: 'string' },
    },
  });
  const runDir = values['run-dir'];
  if (runDir === undefined) throw new Error('--run-dir is required');
  const database = values.database;
  const client = await createAnalyticsClient({ mode: 'embedded', path: path.join(runDir, 'chdb') });
  try {
    const tables = await client
      .query({
        query: `SELECT name, engine FROM system.tables
                WHERE database = {db:String} AND engine LIKE '%MergeTree' ORDER BY name`,
        query_params: { db: database },
        format: 'JSONEachRow',
      })
      .then((result) => result.json<{ name: string; engine: string }>());
    const lines: string[] = [];
    for (const { name, engine } of tables) {
      if (SKIPPED.has(name)) continue;
      const columns = await client
        .query({
          query: `SELECT name, type FROM system.columns
                  WHERE database = {db:String} AND table = {table:String} ORDER BY position`,
          query_params: { db: database, table: name },
          format: 'JSONEachRow',
        })
        .then((result) => result.json<{ name: string; type: string }>());
      const skipped = WRITE_TIME_COLUMNS[name] ?? [];
      // Names come from system.columns of our own database, quoted as identifiers: no value of
      // any event reaches this SQL text.
      const expressions = columns
        .filter((column) => !skipped.includes(column.name))
        .map(({ name: column, type }) => {
          const quoted = `\`${column.replace(/`/g, '``')}\``;
          // groupUniqArray's order depends on the insert blocks: compare the sets.
          if (type.startsWith('Array(') || type.includes('groupUniqArray')) {
            return `arraySort(${quoted})`;
          }
          // cityHash64 of a NULL is NULL, and sum() skips it: hash whether, then what.
          return type.includes('Nullable(')
            ? `isNull(${quoted}), assumeNotNull(${quoted})`
            : quoted;
        });
      const [row] = await client
        .query({
          query: `SELECT count() AS rows, toString(sum(cityHash64(${expressions.join(', ')}))) AS hash
                  FROM {db:Identifier}.{table:Identifier} ${engine === 'MergeTree' ? '' : 'FINAL'}`,
          query_params: { db: database, table: name },
          format: 'JSONEachRow',
        })
        .then((result) => result.json<{ rows: string; hash: string }>());
      lines.push(`${name}\t${row?.rows ?? 0}\t${row?.hash ?? ''}`);
    }
    const text = `${lines.join('\n')}\n`;
    process.stdout.write(text);
    if (values.out !== undefined) writeFileSync(values.out, text);
  } finally {
    await closeAnalyticsClient(client);
  }
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? (error.stack ?? error.message) : error);
  process.exit(1);
});
