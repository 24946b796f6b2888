/**
 * Finds libs/analytics/sql — the migration and view files — at runtime, from this module's own
 * location, never from process.cwd() (the CLI, the API and jest all start in different places).
 *
 * Why a walk instead of `path.join(__dirname, '../sql')`: the build (`tsc`) emits JS to
 * dist/libs/analytics/src and does not copy .sql files, and the build config is not this
 * library's to change. Walking up from __dirname finds `sql/` next to `src/` when running from
 * source (jest), and `libs/analytics/sql` at the repository root when running from dist/. A
 * deployment that ships dist/ without the source tree sets TANDEM_ANALYTICS_SQL_DIR (or passes
 * `sqlDir`) to wherever it put the files.
 *
 * It must never return a directory that lacks the migrations/ and views/ it promises.
 */
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';

export const SQL_DIR_ENV = 'TANDEM_ANALYTICS_SQL_DIR';

export class SqlDirectoryNotFoundError extends Error {
  constructor(readonly searched: readonly string[]) {
    super(
      `libs/analytics/sql not found; searched ${searched.join(', ')}. ` +
        `Set ${SQL_DIR_ENV} to the directory holding migrations/ and views/.`,
    );
    this.name = 'SqlDirectoryNotFoundError';
  }
}

const isSqlDirectory = (dir: string): boolean =>
  existsSync(join(dir, 'migrations')) && existsSync(join(dir, 'views'));

/** The sql/ directory: `explicit`, else $TANDEM_ANALYTICS_SQL_DIR, else found from __dirname. */
export function resolveSqlDirectory(explicit?: string, from: string = __dirname): string {
  const configured = explicit ?? process.env[SQL_DIR_ENV];
  if (configured !== undefined && configured !== '') {
    if (!isSqlDirectory(configured)) throw new SqlDirectoryNotFoundError([configured]);
    return configured;
  }
  const searched: string[] = [];
  for (let dir = from; ; dir = dirname(dir)) {
    for (const candidate of [join(dir, 'sql'), join(dir, 'libs', 'analytics', 'sql')]) {
      searched.push(candidate);
      if (isSqlDirectory(candidate)) return candidate;
    }
    if (dirname(dir) === dir) throw new SqlDirectoryNotFoundError(searched);
  }
}
