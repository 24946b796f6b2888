/**
 * `node dist-bench/bench/snapshot-reads.js --run-dir DIR [--reads N] [--json FILE]`: how long a
 * view's read waits while the views' snapshot of the active rule set is being written (chDB
 * runs one parameterized statement at a time per process, so a read queues behind the write).
 * On a projected run directory (bench:rebuild with `--run-dir`; the API stopped), in this
 * process: it takes one snapshot first (untimed, so the data is warm and one exists), then for
 * each way of writing, takes another while a client reads the funnel in a loop, and prints the
 * reads' latencies beside the cold target (< 1 s):
 *   - `whole`: one INSERT … SELECT for the whole snapshot, reads not preferred (as before
 *     00aea79: `chunkRows` unbounded, `yieldMs` 0);
 *   - `ranges`: the shipped defaults (ranges of lead ids, reads go first).
 * The reads are the funnel view through AnalyticsQueries (rule set, marker, changed leads,
 * view: four statements, as the API runs them), one after another, timed from call to rows.
 */
import path from 'node:path';
import { parseArgs } from 'node:util';
import { performance } from 'node:perf_hooks';
import { AnalyticsQueries, closeAnalyticsClient, createAnalyticsClient } from '@tandem/analytics';
import { addLatencyFigures, BenchReport } from './bench.report';

const COLD_TARGET_MS = 1_000;

async function main(): Promise<void> {
  const { values } = parseArgs({
    args: process.argv.slice(2),
    options: {
      'run-dir': { type: 'string' },
      database: { type: 'string', default: 'tandem' },
      json: { type: 'string' },
    },
  });
  const runDir = values['run-dir'];
  if (runDir === undefined) throw new Error('--run-dir is required');
  const database = values.database;
  const report = new BenchReport('bench:snapshot-reads — view reads while a snapshot is written');
  report.note('run directory', runDir);
  const client = await createAnalyticsClient({ mode: 'embedded', path: path.join(runDir, 'chdb') });
  try {
    const ways = {
      whole: { chunkRows: Number.MAX_SAFE_INTEGER, yieldMs: 0 },
      ranges: {},
    } as const;
    const warm = new AnalyticsQueries(client, { database, snapshots: true });
    const rules = await warm.ruleSet();
    const first = await warm.takeSnapshot(rules);
    if (first === null) throw new Error('no snapshot: is the active rule set ready?');
    report.note('leads', first.leads);
    await warm.close();
    for (const [name, options] of Object.entries(ways)) {
      const queries = new AnalyticsQueries(client, { database, snapshots: options });
      const started = performance.now();
      let writing = true;
      const written = queries.takeSnapshot(rules).finally(() => (writing = false));
      const latencies: number[] = [];
      while (writing) {
        const call = performance.now();
        await queries.sharedFunnel();
        latencies.push(performance.now() - call);
      }
      await written;
      const writeMs = performance.now() - started;
      await queries.close();
      report.add({ name: `${name}: snapshot write`, value: writeMs, unit: 'ms', target: null });
      report.add({
        name: `${name}: funnel reads during the write`,
        value: latencies.length,
        unit: '',
        target: null,
      });
      addLatencyFigures(report, `${name}: funnel read`, latencies, {
        atMost: COLD_TARGET_MS,
        label: 'cold',
      });
    }
  } finally {
    await closeAnalyticsClient(client);
  }
  report.print();
  report.writeJson(values.json ?? null);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
