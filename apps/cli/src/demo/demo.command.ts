/**
 * `tandem demo`: starts the funnel API as a child process on the configured engines
 * (embedded: PGlite + chDB under the data directory), drives one simulated quarter
 * through its HTTP API, waits
 * for the projection, and prints the marketing and sales lenses side by side
 * with the reconciliation verdict. Each run continues with the next quarter on
 * the same data; `--reset` starts from nothing. Progress goes to stderr, the
 * views and where to go next to stdout (the API's own logs go to stderr). Scripts use
 * `tandem reconcile --json` and the /analytics views of `npm start`.
 */
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import * as path from 'node:path';
import type {
  FunnelStageRow,
  MarketingLensRow,
  Reconciliation,
  SalesLensRow,
  SharedTotals,
} from '@tandem/analytics';
import { describeConfig, MAX_WRITES_PER_MINUTE, type TandemConfig } from '@tandem/config';
import { loadOrCreateEmbeddedKey, mintAccessToken } from '@tandem/auth';
import { ApiClient } from '../api-client';
import {
  type ApiCredentials,
  credentialsFromEnvironment,
  embeddedKeyCredentials,
} from '../auth/api-credentials';
import { dashboardLink } from '../auth/token.command';
import { type Column, renderTable, sideBySide } from '../text-table';
import { startApiProcess } from './api-process';
import { driveQuarter } from './demo-driver';
import { quarterLabel, simulateQuarter } from './quarter-simulation';

export interface DemoOptions {
  readonly reset: boolean;
  readonly leads: number;
  readonly concurrency: number;
  readonly seed: number;
}

interface DemoState {
  readonly runs: number;
}

const QUARTERS_OF_HISTORY = 8;

/** Run k simulates the quarter k+1 after the one that began two years ago. */
function quarterForRun(run: number, now: Date): Date {
  const currentQuarterMonth = Math.floor(now.getUTCMonth() / 3) * 3;
  return new Date(
    Date.UTC(now.getUTCFullYear(), currentQuarterMonth - 3 * QUARTERS_OF_HISTORY + 3 * run, 1),
  );
}

async function readState(file: string): Promise<DemoState> {
  try {
    return JSON.parse(await readFile(file, 'utf8')) as DemoState;
  } catch {
    return { runs: 0 };
  }
}

/**
 * The environment of the API the demo starts. Its own report is the output, so the API logs
 * command by command only when asked for. The demo is one caller standing in for a whole
 * company's clients, a quarter of their writes in about a minute: far past the per-caller
 * write limit a production API keeps (6,000 a minute by default), so its own API admits as many
 * as the limit's setting allows, unless the environment sets a limit.
 */
export function demoApiEnvironment(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  return {
    ...env,
    TANDEM_LOG_LEVEL: env.TANDEM_LOG_LEVEL ?? 'warn',
    TANDEM_RATE_LIMIT_WRITES_PER_MINUTE:
      env.TANDEM_RATE_LIMIT_WRITES_PER_MINUTE ?? String(MAX_WRITES_PER_MINUTE),
  };
}

export async function runDemo(config: TandemConfig, options: DemoOptions): Promise<number> {
  if (options.reset) {
    if (config.eventStore.kind !== 'pglite' || config.clickhouse.mode !== 'embedded') {
      console.error('--reset only clears embedded data; it never touches a server.');
      return 2;
    }
    await rm(config.dataDir, { recursive: true, force: true });
    console.error(`reset: removed ${config.dataDir}`);
  }
  await mkdir(config.dataDir, { recursive: true });
  const stateFile = path.join(config.dataDir, 'demo-state.json');
  const state = await readState(stateFile);

  console.error(`Tandem demo — ${describeConfig(config)}`);
  // The demo signs its own requests with the embedded key (made here if this is the first
  // start; the API it starts trusts the same file), so it needs no set-up.
  const embeddedKey = config.auth.embeddedKey
    ? await loadOrCreateEmbeddedKey(config.dataDir)
    : null;
  const credentials: ApiCredentials = embeddedKey
    ? embeddedKeyCredentials(embeddedKey, config.auth.audience)
    : credentialsFromEnvironment(process.env);
  const apiProcess = await startApiProcess(demoApiEnvironment(process.env));
  try {
    const url = apiProcess.url;
    const api = new ApiClient(url, undefined, credentials);
    const now = new Date();
    const quarterStart = quarterForRun(state.runs, now);

    if (quarterStart.getTime() > now.getTime()) {
      console.error(
        `All quarters up to today are simulated (${state.runs} runs); showing the views. Use --reset to start over.`,
      );
    } else {
      const quarter = simulateQuarter({
        seed: options.seed + state.runs,
        quarterStart,
        leads: options.leads,
        now,
      });
      console.error(
        `Simulating ${quarter.label}: ${quarter.journeys.length} leads through ${url} (run ${state.runs + 1})`,
      );
      const report = await driveQuarter(api, quarter, {
        concurrency: options.concurrency,
        onProgress: (done, total) => console.error(`  ${done}/${total} leads`),
      });
      console.error(
        `Sent ${report.requests} requests in ${report.seconds.toFixed(1)} s ` +
          `(${Math.round(report.requests / report.seconds)}/s); ` +
          `${report.refusedMql} leads did not meet the MQL criteria` +
          (report.throttled > 0
            ? `; ${report.throttled} requests waited out the API's write limit and were sent again.`
            : '.'),
      );
      if (report.failures.length > 0) {
        console.error(`${report.failures.length} requests failed unexpectedly, e.g.:`);
        for (const failure of report.failures.slice(0, 5)) console.error(`  ${failure}`);
        return 1;
      }
      await writeFile(stateFile, JSON.stringify({ runs: state.runs + 1 } satisfies DemoState));
    }

    await waitForProjection(api);
    const [funnel, marketing, sales, reconciliation] = await Promise.all([
      api.get<FunnelStageRow[]>('/analytics/funnel'),
      api.get<MarketingLensRow[]>('/analytics/marketing'),
      api.get<SalesLensRow[]>('/analytics/sales'),
      api.get<Reconciliation>('/analytics/reconciliation'),
    ]);
    printViews(funnel, marketing, sales, reconciliation);
    const runs = (await readState(stateFile)).runs;
    console.log(
      runs > 0
        ? `\nQuarters simulated: ${quarterLabel(quarterForRun(0, now))} to ${quarterLabel(quarterForRun(runs - 1, now))}. ` +
            `Run \`npm start\` and open ${url}/docs for the API.`
        : `\nRun \`npm start\` and open ${url}/docs for the API.`,
    );
    const mintAnalystToken =
      embeddedKey === null || process.stdout.isTTY !== true
        ? null
        : () =>
            mintAccessToken(embeddedKey, {
              roles: ['analyst'],
              actor: 'dashboard',
              audience: config.auth.audience,
              ttlSeconds: 8 * 3_600,
            });
    console.log(await demoDashboardLine(url, mintAnalystToken));
    return reconciliation.ok ? 0 : 1;
  } finally {
    await apiProcess.stop();
  }
}

async function waitForProjection(api: ApiClient, timeoutMs = 300_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const health = await api.get<{ projector: { caughtUp?: boolean; failure?: string | null } }>(
      '/health',
    );
    if (health.projector.failure) throw new Error(`projection failed: ${health.projector.failure}`);
    if (health.projector.caughtUp) return;
    if (Date.now() > deadline) throw new Error('projection did not catch up in time');
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

const money = (amounts: Readonly<Record<string, string>>) =>
  Object.entries(amounts)
    .map(
      ([currency, amount]) => `${currency} ${Math.round(Number(amount)).toLocaleString('en-US')}`,
    )
    .join(' + ') || '-';
const percent = (rate: number | null) => (rate === null ? null : `${(rate * 100).toFixed(1)}%`);

function printViews(
  funnel: readonly FunnelStageRow[],
  marketing: readonly MarketingLensRow[],
  sales: readonly SalesLensRow[],
  reconciliation: Reconciliation,
): void {
  console.log('');
  console.log(
    renderTable('SHARED FUNNEL (leads that ever reached each stage, by path)', funnel, [
      { header: 'path', value: (r) => r.path, align: 'left' },
      { header: 'stage', value: (r) => r.stage, align: 'left' },
      { header: 'leads', value: (r) => r.leads },
      { header: 'from', value: (r) => r.previousStage, align: 'left' },
      { header: 'conversion', value: (r) => percent(r.conversion) },
    ]).join('\n'),
  );
  console.log('');
  // The totals both lenses share (and reconciliation compares), in the same columns.
  const sharedTotalsColumns: readonly Column<SharedTotals>[] = [
    { header: 'acc', value: (r) => r.accepted },
    { header: 'rej', value: (r) => r.rejected },
    { header: 'opps', value: (r) => r.opportunities },
    { header: 'won', value: (r) => r.won },
    { header: 'won revenue', value: (r) => money(r.wonRevenue) },
  ];
  const left = renderTable('MARKETING LENS (by channel and campaign)', marketing, [
    {
      header: 'channel / campaign',
      value: (r) => `${r.channel} / ${r.campaign || '-'}`,
      align: 'left',
    },
    { header: 'leads', value: (r) => r.leads },
    { header: 'MQL', value: (r) => r.mqls },
    { header: 'to sales', value: (r) => r.handedToSales },
    ...sharedTotalsColumns,
  ]);
  const right = renderTable('SALES LENS (by owner)', sales, [
    { header: 'owner', value: (r) => r.owner, align: 'left' },
    { header: 'received', value: (r) => r.handedToSales },
    ...sharedTotalsColumns,
    { header: 'win rate', value: (r) => percent(r.winRate) },
  ]);
  console.log(sideBySide(left, right));
  console.log('');
  console.log(
    renderTable(
      'RECONCILIATION (marketing lens vs sales lens vs raw events)',
      reconciliation.checks,
      [
        { header: 'metric', value: (c) => c.metric, align: 'left' },
        { header: 'marketing', value: (c) => c.marketing },
        { header: 'sales', value: (c) => c.sales },
        { header: 'events', value: (c) => c.events },
        { header: 'agree', value: (c) => (c.ok ? 'yes' : 'NO') },
      ],
    ).join('\n'),
  );
  console.log(
    reconciliation.ok
      ? '\nRECONCILED: the marketing and sales lenses agree on every shared total.'
      : '\nNOT RECONCILED: the lenses disagree (see the rows marked NO).',
  );
}

/**
 * The demo's last line: the dashboard at the address `npm start` listens on (same config). Given
 * a way to mint one (at a terminal, with the embedded key), the link carries a read-only (analyst) token for a working
 * day in its fragment, which no server sees. Otherwise (output collected by CI or a supervisor,
 * or an identity provider signs tokens) it carries none, as `npm start`'s line: a credential
 * written into collected logs outlives the session that needed it.
 */
export async function demoDashboardLine(
  url: string,
  mintAnalystToken: (() => Promise<string>) | null,
): Promise<string> {
  const open = 'Dashboard: run `npm start` and open';
  if (mintAnalystToken === null) {
    return `${open} ${url}/dashboard (a link with a token: npm run tandem -- token --role analyst --actor you@example.com --dashboard)`;
  }
  return `${open} ${dashboardLink(url, await mintAnalystToken())}`;
}
