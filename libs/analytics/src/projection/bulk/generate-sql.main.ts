/**
 * Writes the generated projection SQL files (npm run sql:generate). The files are committed so
 * that a change to the fast path is a reviewable diff; a unit spec fails when they are stale.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { resolveSqlDirectory } from '../../clickhouse/sql-directory';
import { generatedSqlFiles } from './log-row.sql-builder';

for (const [file, build] of Object.entries(generatedSqlFiles)) {
  writeFileSync(join(resolveSqlDirectory(), file), build());
  process.stdout.write(`wrote ${file}\n`);
}
