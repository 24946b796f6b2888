/**
 * `node dist-bench/bench/view-plans.js --run-dir DIR [--repeat 5] [--only attribution,trend]`:
 * what each /analytics view's statements cost before they read anything. Every view the routes
 * call (bench:query's list) is asked once through AnalyticsQueries with no snapshot (what the
 * API does below TANDEM_VIEW_SNAPSHOT_MIN_LEADS), each statement it sends is kept, and each one
 * is then timed alone, `--repeat` times: `EXPLAIN <statement>` (analysis and planning) and the
 * statement itself, as the process's CPU (chDB runs in-process, so that is the engine's CPU
 * too) and as wall time, with a hash of its output (to compare two versions of a view file:
 * set TANDEM_ANALYTICS_SQL_DIR to read another directory of SQL files).
 *
 * It only reads `--run-dir`; still, chDB takes a lock on it: point it at a copy
 * (`cp -a /tmp/q-100k /tmp/mine`), never at a directory a running API uses.
 */
// The lib's declaration of chDB's connection module: bench/ compiles the lib's sources too, and
// a declaration file is not a module to import.
// eslint-disable-next-line @typescript-eslint/triple-slash-reference
/// <reference path="../libs/analytics/src/clickhouse/chdb-connection.d.ts" />
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import type { ClickHouseClient } from '@clickhouse/client';
import { AnalyticsQueries, closeAnalyticsClient, createAnalyticsClient } from '@tandem/analytics';
import { attributionModels } from '@tandem/domain';

interface Statement {
  readonly view: string;
  readonly query: string;
  readonly params: Record<string, unknown>;
}

interface Timing {
  readonly cpuMs: number;
  readonly wallMs: number;
}

async function timed(work: () => Promise<unknown>): Promise<Timing> {
  const cpu = process.cpuUsage();
  const started = performance.now();
  await work();
  const used = process.cpuUsage(cpu);
  return { cpuMs: (used.user + used.system) / 1000, wallMs: performance.now() - started };
}

const median = (values: readonly number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? Number.NaN;
};

/** bench:query's views, as AnalyticsQueries calls. */
type Ask = (queries: AnalyticsQueries) => Promise<unknown>;
const views: readonly (readonly [string, Ask])[] = [
  ['funnel', (queries) => queries.sharedFunnel()],
  ['funnel/time-in-stage', (queries) => queries.funnelTimeInStage()],
  ['funnel/cohorts?grain=week', (queries) => queries.funnelByCohort('week')],
  ['funnel/cohorts?grain=month', (queries) => queries.funnelByCohort('month')],
  ['funnel/trend?grain=month', (queries) => queries.funnelTrend('month')],
  ['funnel/leads?stage=won', (queries) => queries.funnelLeads('won')],
  ['marketing', (queries) => queries.marketingLens()],
  ...attributionModels.map((model): readonly [string, Ask] => [
    `marketing/attribution?model=${model}`,
    (queries) => queries.marketingAttribution(model),
  ]),
  ['sales', (queries) => queries.salesLens()],
  ['sales/performance', (queries) => queries.salesPerformance()],
  ['alignment', (queries) => queries.alignment()],
  ['accounts', (queries) => queries.accountLens()],
  ['targets', (queries) => queries.targetsProgress()],
  ['reconciliation', (queries) => queries.reconcile()],
];

/** `client` with every statement it is asked kept in `into` (under the view being asked). */
function recording(client: ClickHouseClient, into: Statement[], view: () => string) {
  const query = client.query.bind(client);
  client.query = (params: Parameters<ClickHouseClient['query']>[0]) => {
    into.push({ view: view(), query: params.query, params: params.query_params ?? {} });
    return query(params);
  };
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      'run-dir': { type: 'string' },
      database: { type: 'string', default: 'tandem' },
      repeat: { type: 'string', default: '5' },
      only: { type: 'string' },
    },
  });
  const runDir = values['run-dir'];
  if (runDir === undefined) throw new Error('--run-dir is required');
  const database = values.database;
  const repeat = Math.max(1, Number(values.repeat));
  const only = values.only?.split(',').filter((word) => word !== '') ?? [];
  const client = await createAnalyticsClient({
    mode: 'embedded',
    path: join(runDir, 'chdb'),
    binding: 'in-process',
  });
  try {
    const statements: Statement[] = [];
    let asking = '';
    recording(client, statements, () => asking);
    const queries = new AnalyticsQueries(client, { database, snapshots: false });
    for (const [view, ask] of views) {
      if (only.length > 0 && !only.some((word) => view.includes(word))) continue;
      asking = view;
      await ask(queries);
    }
    await queries.close();
    // The same statement asked by several views (the active rule set, say) is timed once.
    const seen = new Set<string>();
    const distinct = statements.filter((statement) => {
      const key = statement.query + JSON.stringify(statement.params);
      if (seen.has(key)) return false;
      seen.add(key);
      return true;
    });
    console.log('| view | statement | EXPLAIN: CPU / wall ms | run: CPU / wall ms | output |');
    console.log('| --- | --- | --- | --- | --- |');
    for (const [index, { view, query, params }] of distinct.entries()) {
      const query_params = { db: database, ...params };
      const explain: Timing[] = [];
      const run: Timing[] = [];
      let output = '';
      for (let round = 0; round < repeat; round++) {
        explain.push(
          await timed(async () => {
            const result = await client.query({ query: `EXPLAIN ${query}`, query_params });
            await result.text();
          }),
        );
        run.push(
          await timed(async () => {
            const result = await client.query({ query, query_params, format: 'JSONEachRow' });
            output = await result.text();
          }),
        );
      }
      const cell = (timings: readonly Timing[]) =>
        `${median(timings.map((t) => t.cpuMs)).toFixed(0)} / ${median(timings.map((t) => t.wallMs)).toFixed(0)}`;
      const hash = createHash('sha1').update(output).digest('hex').slice(0, 10);
      console.log(`| ${view} | ${index} | ${cell(explain)} | ${cell(run)} | ${hash} |`);
    }
  } finally {
    await closeAnalyticsClient(client);
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
