/**
 * `node dist-bench/bench/snapshot-refresh.js --run-dir DIR [--changed 500,2000,5000]
 * [--reads N] [--json FILE]`: what a funnel read and the next snapshot of the per-lead funnel
 * cost as the leads changed since the latest snapshot grow (issue 10, live append → visible).
 * On a projected run directory (bench:rebuild with `--run-dir`; the API stopped), in this
 * process, with no event arriving: it takes a snapshot (untimed), then for each count N it
 * marks that snapshot again as of an earlier position, the one past which N leads changed
 * (exact: a snapshot covers every position it was taken after, so a view reads the leads
 * changed since the earlier one from the state and the others from the snapshot, the same rows),
 * times `--reads` funnel reads through AnalyticsQueries (rule set, marker, changed leads, view),
 * then times the next snapshot's rows (nothing kept with it: no credits, rollups, witness),
 * which is taken with those N leads changed since the latest.
 */
import path from 'node:path';
import { parseArgs } from 'node:util';
import { performance } from 'node:perf_hooks';
import { AnalyticsQueries, closeAnalyticsClient, createAnalyticsClient } from '@tandem/analytics';
import { addLatencyFigures, BenchReport } from './bench.report';

type FunnelSnapshot = NonNullable<Awaited<ReturnType<AnalyticsQueries['takeSnapshot']>>>;

async function main(): Promise<void> {
  const { values } = parseArgs({
    args: process.argv.slice(2),
    options: {
      'run-dir': { type: 'string' },
      database: { type: 'string', default: 'tandem' },
      changed: { type: 'string', default: '0,500,2000,5000' },
      reads: { type: 'string', default: '7' },
      json: { type: 'string' },
    },
  });
  const runDir = values['run-dir'];
  if (runDir === undefined) throw new Error('--run-dir is required');
  const database = values.database;
  const reads = Number(values.reads);
  const report = new BenchReport(
    'bench:snapshot-refresh — reads and the next snapshot by changed leads',
  );
  report.note('run directory', runDir);
  const client = await createAnalyticsClient({ mode: 'embedded', path: path.join(runDir, 'chdb') });
  const kept = { rollups: false, attributionCredits: false, eventAudits: false } as const;
  try {
    const queries = new AnalyticsQueries(client, { database, snapshots: true, ...kept });
    const rules = await queries.ruleSet();
    let latest: FunnelSnapshot | null = await queries.takeSnapshot(rules);
    if (latest === null) throw new Error('no snapshot: is the active rule set ready?');
    report.note('leads', latest.leads);
    for (const count of values.changed.split(',').map(Number)) {
      await markEarlier(client, database, latest, count);
      const latencies: number[] = [];
      for (let read = 0; read < reads; read += 1) {
        const started = performance.now();
        await queries.sharedFunnel({ rules });
        latencies.push(performance.now() - started);
      }
      addLatencyFigures(report, `${count} changed: funnel read`, latencies, {
        atMost: 1_000,
        label: 'live',
      });
      const started = performance.now();
      latest = await queries.takeSnapshot(rules);
      report.add({
        name: `${count} changed: next snapshot's rows`,
        value: performance.now() - started,
        unit: 'ms',
        target: null,
      });
      if (latest === null) throw new Error('the snapshot was not taken');
    }
    await queries.close();
  } finally {
    await closeAnalyticsClient(client);
  }
  report.print();
  report.writeJson(values.json ?? null);
}

/**
 * Marks `snapshot` again, as the latest, at the position past which `count` leads changed
 * (its own when 0): the rows are the same, a view reads those leads from the state.
 */
async function markEarlier(
  client: Awaited<ReturnType<typeof createAnalyticsClient>>,
  database: string,
  snapshot: FunnelSnapshot,
  count: number,
): Promise<void> {
  if (count === 0) return;
  await client.command({
    query: `
      INSERT INTO {db:Identifier}.lead_funnel_snapshot_markers
          (rules_version, definition_hash, recorded_version, sla_ms, snapshot_id, position,
           leads, taken_at, fingerprint)
      SELECT rules_version, definition_hash, recorded_version, sla_ms, snapshot_id,
          (
              SELECT last_position FROM {db:Identifier}.lead_state FINAL
              ORDER BY last_position DESC LIMIT 1 OFFSET {count:UInt64}
          ),
          leads, now64(3, 'UTC') + toIntervalMillisecond(1), fingerprint
      FROM {db:Identifier}.lead_funnel_snapshot_markers
      WHERE snapshot_id = {id:UInt64}
      LIMIT 1`,
    query_params: { db: database, id: snapshot.id, count: String(count) },
  });
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
