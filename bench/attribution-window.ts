/**
 * `node dist-bench/bench/attribution-window.js --run-dir DIR [--models first_touch,linear]
 * [--reads 3] [--json FILE]`: marketing attribution in the window after a new snapshot of the
 * per-lead funnel is marked and before its attribution credits are kept (after a start, a
 * rebuild or a refresh), in this process on a projected run directory (bench:rebuild with
 * `--run-dir`; the API stopped), over the two chDB connections the API opens (writes, and the
 * views' reads bound in the process). Each figure is wall and CPU (the process's: chDB runs
 * in it):
 *   - each model read from the snapshot alone (no credits: the window's path), `--reads`
 *     times, then from the kept credits (after a build);
 *   - the credits' build alone;
 *   - the window itself: a new snapshot taken with the shipped defaults (since 568159f its
 *     credits are built before its marker, which then starts the day rollup and the event
 *     witness in the background; before, the marker started the credits too), then the models
 *     read one after another in a loop until the credits are marked (at least one round): how
 *     long that took after the marker and every read's latency.
 *
 * It writes into `--run-dir` (migrations, snapshots, kept builds): never point it at a
 * directory that must stay as it is.
 */
// eslint-disable-next-line @typescript-eslint/triple-slash-reference
/// <reference path="../libs/analytics/src/clickhouse/chdb-connection.d.ts" />
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { attributionModels, type AttributionModel } from '@tandem/domain';
import {
  AnalyticsQueries,
  closeAnalyticsClient,
  createAnalyticsClient,
  migrate,
} from '@tandem/analytics';
import { addLatencyFigures, BenchReport, quantile, timed, type Timing } from './bench.report';

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      'run-dir': { type: 'string' },
      database: { type: 'string', default: 'tandem' },
      models: { type: 'string', default: attributionModels.join(',') },
      reads: { type: 'string', default: '3' },
      'window-models': { type: 'string', default: 'first_touch,last_touch' },
      json: { type: 'string' },
    },
  });
  const runDir = values['run-dir'];
  if (runDir === undefined) throw new Error('--run-dir is required');
  const database = values.database;
  const reads = Math.max(1, Number(values.reads));
  const models = values.models.split(',') as AttributionModel[];
  const windowModels = values['window-models'].split(',') as AttributionModel[];
  const report = new BenchReport('bench:attribution-window — attribution before its credits');
  report.note('run directory', runDir);
  const path = join(runDir, 'chdb');
  const client = await createAnalyticsClient({ mode: 'embedded', path });
  const reader = await createAnalyticsClient({ mode: 'embedded', path, binding: 'in-process' });
  try {
    await migrate(client, { database });
    // No background build here: the snapshot, then each path measured alone.
    const quiet = new AnalyticsQueries(client, {
      database,
      reader,
      snapshots: true,
      rollups: false,
      attributionCredits: false,
      eventAudits: false,
    });
    const rules = await quiet.ruleSet();
    const snapshot = await quiet.takeSnapshot(rules);
    if (snapshot === null) throw new Error('no snapshot: is the active rule set ready?');
    report.note('leads', snapshot.leads);
    const add = (name: string, timing: Timing) => {
      report.add({ name: `${name} wall`, value: timing.wallMs, unit: 'ms', target: null });
      report.add({ name: `${name} CPU`, value: timing.cpuMs, unit: 'ms', target: null });
    };
    const readEach = async (queries: AnalyticsQueries, label: string) => {
      for (const model of models) {
        const timings: Timing[] = [];
        for (let read = 0; read < reads; read++) {
          timings.push(await timed(() => queries.marketingAttribution(model, { rules })));
        }
        add(`${label} ${model} median`, {
          wallMs: quantile(
            timings.map((t) => t.wallMs),
            0.5,
          ),
          cpuMs: quantile(
            timings.map((t) => t.cpuMs),
            0.5,
          ),
        });
      }
    };
    await readEach(quiet, 'snapshot, no credits:');
    await quiet.close();

    const builder = new AnalyticsQueries(client, {
      database,
      reader,
      snapshots: true,
      rollups: false,
      eventAudits: false,
    });
    add('credits build alone', await timed(() => builder.takeAttributionCredits(rules)));
    await readEach(builder, 'kept credits:');
    await builder.close();

    // The window: a new snapshot with everything the API keeps per snapshot.
    const shipped = new AnalyticsQueries(client, { database, reader, snapshots: true });
    const started = performance.now();
    await shipped.takeSnapshot(rules);
    const marked = performance.now();
    report.add({
      name: 'window: snapshot write',
      value: marked - started,
      unit: 'ms',
      target: null,
    });
    const latencies: number[] = [];
    let kept = false;
    let keptAt = Number.NaN;
    const deadline = marked + 120_000;
    while (!kept && performance.now() < deadline) {
      for (const model of windowModels) {
        const call = performance.now();
        await shipped.marketingAttribution(model, { rules });
        latencies.push(performance.now() - call);
      }
      kept = await keptCredits(reader, database);
      if (kept) keptAt = performance.now();
    }
    report.add({
      name: 'window: credits kept after the marker',
      value: keptAt - marked,
      unit: 'ms',
      target: null,
    });
    report.add({ name: 'window: reads', value: latencies.length, unit: '', target: null });
    addLatencyFigures(report, 'window: read', latencies, { atMost: 200, label: 'warm' });
    await shipped.close();
  } finally {
    await closeAnalyticsClient(reader);
    await closeAnalyticsClient(client);
  }
  report.print();
  report.writeJson(values.json ?? null);
}

/** Whether the newest marked snapshot has a marked credits build. */
async function keptCredits(
  reader: Awaited<ReturnType<typeof createAnalyticsClient>>,
  database: string,
): Promise<boolean> {
  const result = await reader.query({
    query: `
      SELECT count() AS n FROM {db:Identifier}.lead_attribution_credit_markers
      WHERE snapshot_id = (
          SELECT snapshot_id FROM {db:Identifier}.lead_funnel_snapshot_markers
          ORDER BY position DESC, taken_at DESC LIMIT 1
      )`,
    query_params: { db: database },
    format: 'JSONEachRow',
  });
  const [row] = await result.json<{ n: string }>();
  return Number(row?.n ?? 0) > 0;
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
