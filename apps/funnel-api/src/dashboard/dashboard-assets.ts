/**
 * Where the dashboard's static files live, found at runtime from this module's location.
 *
 * The browser code is plain .js/.css/.html under src/dashboard/public (no front-end build).
 * `tsc` emits dist/apps/funnel-api/src/dashboard/*.js and does not copy non-TS files, so a
 * fixed `join(__dirname, 'public')` works from source (jest, ts-node) but not from dist/.
 * Like libs/analytics/src/clickhouse/sql-directory.ts, this walks up from __dirname and takes the first
 * `public/` next to it or `apps/funnel-api/src/dashboard/public` under an ancestor (the
 * repository root when running from dist/). A deployment that ships dist/ alone sets
 * TANDEM_DASHBOARD_DIR.
 *
 * Chart.js is served from node_modules (require.resolve), never from a CDN.
 */
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';

export const DASHBOARD_DIR_ENV = 'TANDEM_DASHBOARD_DIR';

export class DashboardDirectoryNotFoundError extends Error {
  constructor(readonly searched: readonly string[]) {
    super(
      `the dashboard's public/ directory was not found; searched ${searched.join(', ')}. ` +
        `Set ${DASHBOARD_DIR_ENV} to the directory holding index.html.`,
    );
    this.name = 'DashboardDirectoryNotFoundError';
  }
}

const isPublicDirectory = (dir: string): boolean => existsSync(join(dir, 'index.html'));

/** The public/ directory: $TANDEM_DASHBOARD_DIR, else found walking up from `from`. */
export function resolveDashboardDirectory(from: string = __dirname): string {
  const configured = process.env[DASHBOARD_DIR_ENV];
  if (configured !== undefined && configured !== '') {
    if (!isPublicDirectory(configured)) throw new DashboardDirectoryNotFoundError([configured]);
    return configured;
  }
  const searched: string[] = [];
  for (let dir = from; ; dir = dirname(dir)) {
    for (const candidate of [
      join(dir, 'public'),
      join(dir, 'apps', 'funnel-api', 'src', 'dashboard', 'public'),
    ]) {
      searched.push(candidate);
      if (isPublicDirectory(candidate)) return candidate;
    }
    if (dirname(dir) === dir) throw new DashboardDirectoryNotFoundError(searched);
  }
}

/**
 * node_modules/chart.js/dist/chart.umd.js. The package's `exports` map hides dist/*.umd.js
 * from require.resolve, so this resolves the CommonJS entry (dist/chart.cjs) and takes its
 * sibling, which every chart.js 4 release ships.
 */
export function chartJsUmdPath(): string {
  const umd = join(dirname(require.resolve('chart.js')), 'chart.umd.js');
  if (!existsSync(umd)) throw new Error(`chart.js UMD bundle not found at ${umd}`);
  return umd;
}

export interface DashboardAsset {
  readonly path: string;
  readonly contentType: string;
  /** Seconds a browser may reuse it without asking; 0 = revalidate every time. */
  readonly maxAge: number;
}

/** The only files the dashboard serves, by name: no path from a request reaches the disk. */
export function dashboardAssets(publicDir: string): ReadonlyMap<string, DashboardAsset> {
  const own = (name: string, contentType: string): [string, DashboardAsset] => [
    name,
    { path: join(publicDir, name), contentType, maxAge: 0 },
  ];
  return new Map([
    own('index.html', 'text/html; charset=utf-8'),
    own('dashboard.js', 'text/javascript; charset=utf-8'),
    own('dashboard.css', 'text/css; charset=utf-8'),
    [
      'chart.umd.js',
      {
        path: chartJsUmdPath(),
        contentType: 'text/javascript; charset=utf-8',
        maxAge: 3600,
      },
    ],
  ]);
}
