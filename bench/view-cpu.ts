/**
 * `node dist-bench/bench/view-cpu.js --run-dir DIR [--repeat 5] [--database tandem]`: the CPU
 * and wall time of the trend, targets and account-lens requests in one process, read from the
 * active set's snapshot of the per-lead funnel with and without its day rollup
 * (views/funnel-rollups/), so a change of those views is profiled by statement before (and
 * beside) bench:query. chDB runs in-process, so `process.cpuUsage()` around a call is the
 * engine's CPU too. Also the way to prepare a copied run directory for bench:query: it applies
 * this build's migrations and takes the snapshot and the rollup the API would take on its first
 * requests (both kept on disk, found by the API at start).
 *
 * It writes into `--run-dir` (migrations, snapshot, rollup): never point it at a directory that
 * must stay as it is.
 */
// The lib's declaration of chDB's connection module: bench/ compiles the lib's sources too, and
// a declaration file is not a module to import.
// eslint-disable-next-line @typescript-eslint/triple-slash-reference
/// <reference path="../libs/analytics/src/clickhouse/chdb-connection.d.ts" />
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import {
  AnalyticsQueries,
  closeAnalyticsClient,
  createAnalyticsClient,
  migrate,
} from '@tandem/analytics';
import { timed, type Timing } from './bench.report';

const median = (values: readonly number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? Number.NaN;
};

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      'run-dir': { type: 'string' },
      database: { type: 'string', default: 'tandem' },
      repeat: { type: 'string', default: '5' },
    },
  });
  const runDir = values['run-dir'];
  if (runDir === undefined) throw new Error('--run-dir is required');
  const database = values.database;
  const repeat = Number(values.repeat);
  const client = await createAnalyticsClient({ mode: 'embedded', path: join(runDir, 'chdb') });
  try {
    const migrated = await migrate(client, { database });
    if (migrated.applied.length > 0) {
      console.log(`migrations applied: ${migrated.applied.join(', ')}`);
    }
    const rolled = new AnalyticsQueries(client, { database, snapshots: true });
    const snapshotOnly = new AnalyticsQueries(client, {
      database,
      snapshots: true,
      rollups: false,
    });
    const rules = await rolled.ruleSet();
    const prepared = await timed(async () => {
      const snapshot = await rolled.takeSnapshot(rules);
      if (snapshot === null) throw new Error('no snapshot: is the active set ready?');
      const build = await rolled.takeRollup(rules);
      if (build === null) throw new Error('no rollup of the snapshot');
    });
    console.log(
      `snapshot and rollup: ${prepared.wallMs.toFixed(0)} ms wall, ${prepared.cpuMs.toFixed(0)} ms CPU`,
    );
    const requests: [string, (queries: AnalyticsQueries) => Promise<unknown>][] = [
      ['trend, month', (queries) => queries.funnelTrend('month', { rules })],
      ['trend, week', (queries) => queries.funnelTrend('week', { rules })],
      ['targets', (queries) => queries.targetsProgress({ rules })],
      [
        'accounts, page 1 of 100',
        (queries) => queries.accountLensPage({ rules }, { limit: 100, offset: 0 }),
      ],
    ];
    console.log('| request | snapshot: CPU / wall ms | snapshot + rollup: CPU / wall ms |');
    console.log('| --- | --- | --- |');
    for (const [name, ask] of requests) {
      const cells: string[] = [];
      for (const queries of [snapshotOnly, rolled]) {
        await ask(queries); // the first call composes and caches the SQL files
        const runs: Timing[] = [];
        for (let run = 0; run < repeat; run++) runs.push(await timed(() => ask(queries)));
        cells.push(
          `${median(runs.map((r) => r.cpuMs)).toFixed(0)} / ${median(runs.map((r) => r.wallMs)).toFixed(0)}`,
        );
      }
      console.log(`| ${name} | ${cells.join(' | ')} |`);
    }
    await rolled.close();
    await snapshotOnly.close();
  } finally {
    await closeAnalyticsClient(client);
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
