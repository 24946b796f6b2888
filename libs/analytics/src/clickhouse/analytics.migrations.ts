/**
 * Applies libs/analytics/sql/migrations/NNNN_name.sql in order and records each in
 * `schema_migrations`, so running it again applies only what is new. Safe to re-run, and safe
 * if interrupted: a migration is recorded only after it ran, so a start killed in between runs it
 * again, and every file must be safe to repeat (CREATE/ADD COLUMN `IF NOT EXISTS`, a rewrite
 * whose WHERE matches only rows not yet rewritten, a backfill into max/min/uniq aggregates).
 * migrations-after-a-kill.int.spec.ts runs every file twice at its boundary to hold that.
 *
 * File rules: one statement per file (no splitting, so no SQL parser here); the name is
 * `NNNN_snake_case.sql` with a unique 4-digit version; an applied file is immutable (its
 * sha-256 is recorded, and a changed file stops the run instead of silently diverging).
 *
 * The database name: ClickHouse binds `{db:Identifier}` in CREATE TABLE, but inside a view's
 * SELECT a parameter turns the view into a *parameterised view* instead of being substituted.
 * So for migrations only, the runner replaces the one token `{db:Identifier}` with the
 * validated, back-quoted database name, and refuses a file that contains any other `{name:Type}`
 * parameter (which would otherwise be silently left unbound). Query files (sql/views) bind
 * their parameters normally. This module must never substitute anything else into SQL.
 */
import { createHash } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { ClickHouseClient } from '@clickhouse/client';
import {
  analyticsDatabase,
  analyticsTables,
  qualifiedTable,
  type AnalyticsDatabaseOptions,
} from './analytics.database';
import { createAnalystViews } from './analyst-views';
import { resolveSqlDirectory } from './sql-directory';

export interface MigrateOptions extends AnalyticsDatabaseOptions {
  /** Directory holding migrations/ and views/; found automatically when omitted. */
  readonly sqlDir?: string;
}

export interface MigrationReport {
  readonly database: string;
  /** File names applied by this run, in order. */
  readonly applied: readonly string[];
  /** File names that were already applied before this run. */
  readonly alreadyApplied: readonly string[];
  /** The analyst views (analyst-views.ts), created or replaced on every run. */
  readonly views: readonly string[];
}

export interface MigrationFile {
  readonly version: number;
  readonly name: string;
  readonly sql: string;
  readonly checksum: string;
}

export class MigrationError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'MigrationError';
  }
}

const fileNamePattern = /^(\d{4})_[a-z0-9_]+\.sql$/;
const DATABASE_TOKEN = '{db:Identifier}';
const anyParameter = /\{\s*[A-Za-z_][A-Za-z0-9_]*\s*:[^}]*\}/;

/** Renders a migration for one database; see the module header for why this is textual. */
export function renderMigrationSql(sql: string, database: string): string {
  const rendered = sql
    .split(DATABASE_TOKEN)
    .join(`\`${analyticsDatabase({ database })}\``)
    .trim()
    .replace(/;\s*$/, '');
  const unbound = anyParameter.exec(rendered);
  if (unbound !== null) {
    throw new MigrationError(
      `migration SQL may use only ${DATABASE_TOKEN}; found the parameter ${unbound[0]}`,
    );
  }
  return rendered;
}

/** The numbered migration files in version order, with their checksums. */
export async function loadMigrationFiles(sqlDir: string): Promise<MigrationFile[]> {
  const dir = join(sqlDir, 'migrations');
  const names = (await readdir(dir)).filter((name) => name.endsWith('.sql')).sort();
  const files: MigrationFile[] = [];
  for (const name of names) {
    const match = fileNamePattern.exec(name);
    if (match?.[1] === undefined) {
      throw new MigrationError(`migration file ${name} must be named NNNN_snake_case.sql`);
    }
    const version = Number(match[1]);
    const previous = files.at(-1);
    if (previous !== undefined && previous.version === version) {
      throw new MigrationError(`migrations ${previous.name} and ${name} share version ${version}`);
    }
    const sql = await readFile(join(dir, name), 'utf8');
    const checksum = createHash('sha256').update(sql).digest('hex');
    files.push({ version, name, sql, checksum });
  }
  return files;
}

interface AppliedRow {
  readonly version: number;
  readonly name: string;
  readonly checksum: string;
}

async function appliedMigrations(
  client: ClickHouseClient,
  database: string,
): Promise<Map<number, AppliedRow>> {
  const result = await client.query({
    query:
      'SELECT version, name, checksum FROM {db:Identifier}.{table:Identifier} FINAL ORDER BY version',
    query_params: { db: database, table: analyticsTables.schemaMigrations },
    format: 'JSONEachRow',
  });
  const rows = await result.json<AppliedRow>();
  return new Map(rows.map((row) => [Number(row.version), row]));
}

/**
 * Creates the database and schema_migrations if needed and applies those of `files` not yet
 * recorded, in order: migrate() with every file, and the migration crash spec with the files
 * a killed start had reached.
 */
export async function applyMigrations(
  client: ClickHouseClient,
  database: string,
  sqlDir: string,
  files: readonly MigrationFile[],
): Promise<Omit<MigrationReport, 'views'>> {
  await client.command({
    query: 'CREATE DATABASE IF NOT EXISTS {db:Identifier}',
    query_params: { db: database },
  });
  const bootstrap = await readFile(join(sqlDir, 'schema_migrations.sql'), 'utf8');
  await client.command({ query: renderMigrationSql(bootstrap, database) });

  const applied = await appliedMigrations(client, database);
  const report = { database, applied: [] as string[], alreadyApplied: [] as string[] };
  for (const file of files) {
    const recorded = applied.get(file.version);
    if (recorded !== undefined) {
      if (recorded.checksum !== file.checksum) {
        throw new MigrationError(
          `migration ${file.name} changed after it was applied to ${database} ` +
            `(recorded as ${recorded.name}); add a new migration instead of editing it`,
        );
      }
      report.alreadyApplied.push(file.name);
      continue;
    }
    // A kill between this statement and its record leaves it applied and unrecorded: the next
    // start runs it again, so every file must be safe to repeat (migrations-after-a-kill spec).
    await client.command({ query: renderMigrationSql(file.sql, database) });
    await client.insert({
      table: qualifiedTable(database, analyticsTables.schemaMigrations),
      values: [{ version: file.version, name: file.name, checksum: file.checksum }],
      format: 'JSONEachRow',
    });
    report.applied.push(file.name);
  }
  return report;
}

/** Creates the database if needed and applies every migration not yet recorded. */
export async function migrate(
  client: ClickHouseClient,
  options: MigrateOptions = {},
): Promise<MigrationReport> {
  const database = analyticsDatabase(options);
  const sqlDir = resolveSqlDirectory(options.sqlDir);
  const report = await applyMigrations(client, database, sqlDir, await loadMigrationFiles(sqlDir));
  // After the tables they read exist: the lenses analysts query, from this version's files.
  const views = await createAnalystViews(client, { database, sqlDir });
  return { ...report, views };
}
