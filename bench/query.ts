/**
 * `npm run bench:query [-- --warm 5] [--json FILE]`: every GET /analytics/... view, black box.
 * Starts the API on the benchmark's store, waits until it has projected the log and the
 * active rule set is ready, then calls each view once (cold: its first call in this process)
 * and `--warm` more times; prints the cold time and the warm median and p95 beside the
 * targets (cold < 1 s, warm < 200 ms). Times are client-side, the whole HTTP response.
 * `--only attribution,reconciliation` times only the views whose path contains one of the
 * comma-separated words (to compare two builds on a few views without timing them all).
 * The views are timed once /health/ready says they answer from their snapshot (readiness);
 * `--rebuild` first asks POST /ops/rebuild and waits again (the views right after a rebuild);
 * `--unready` times them as soon as the rule set is ready, before the views' snapshot is
 * marked (what a caller that ignores readiness gets; with TANDEM_VIEW_SNAPSHOT_MIN_LEADS above
 * the state's leads, no snapshot is taken and every view folds the state, as in that window).
 */
import { attributionModels } from '@tandem/domain';
import { ApiProcess } from './bench.api-process';
import { describeStore, numberOption, parseBenchArgs } from './bench.options';
import { BenchReport, quantile } from './bench.report';

const TIMEOUT_MS = 4 * 3600_000;
const COLD_TARGET_MS = 1000;
const WARM_TARGET_MS = 200;

/** Every view of docs/analytics.md with the parameters it requires. */
const views: readonly string[] = [
  '/analytics/funnel',
  '/analytics/funnel/time-in-stage',
  '/analytics/funnel/cohorts?grain=week',
  '/analytics/funnel/cohorts?grain=month',
  '/analytics/funnel/trend?grain=month',
  '/analytics/funnel/leads?stage=won',
  '/analytics/marketing',
  ...attributionModels.map((model) => `/analytics/marketing/attribution?model=${model}`),
  '/analytics/sales',
  '/analytics/sales/performance',
  '/analytics/alignment',
  '/analytics/accounts',
  '/analytics/targets',
  '/analytics/reconciliation',
];

async function main(): Promise<void> {
  const { options, values } = parseBenchArgs({
    warm: { type: 'string' },
    only: { type: 'string' },
    rebuild: { type: 'boolean' },
    unready: { type: 'boolean' },
  });
  const warmCalls = Math.max(1, numberOption(values.warm, 'warm', 5));
  const only = values.only?.split(',').filter((word) => word !== '') ?? [];
  const timedViews =
    only.length === 0 ? views : views.filter((view) => only.some((word) => view.includes(word)));
  const report = new BenchReport('bench:query — every /analytics view');
  report.note('store', describeStore(options.store));
  report.note('warm calls per view', warmCalls);
  if (only.length > 0) report.note('views', `only those containing ${only.join(', ')}`);
  const unready = values.unready === true;
  report.note(
    'timed from',
    `${values.rebuild === true ? 'a rebuild: ' : ''}${unready ? 'the rule set ready' : "readiness (the views' snapshot)"}`,
  );

  const api = await ApiProcess.start(options);
  try {
    const projected = async () => {
      const head = await api.projectorCaughtUp(TIMEOUT_MS);
      await api.activeRuleSetReady(TIMEOUT_MS);
      if (!unready) await api.viewsReady(TIMEOUT_MS);
      return head;
    };
    let head = await projected();
    if (values.rebuild === true) {
      const requested = Date.now();
      await api.post('/ops/rebuild', {});
      head = await projected();
      report.note('rebuild, until timed', `${(Date.now() - requested) / 1000} s`);
    }
    report.note('events (store head position)', String(head));
    api.rss.resetPeak();
    for (const view of timedViews) {
      const cold = await timed(api, view);
      const warm: number[] = [];
      for (let call = 0; call < warmCalls; call++) warm.push(await timed(api, view));
      report.add({
        name: `${view} cold`,
        value: cold,
        unit: 'ms',
        target: { atMost: COLD_TARGET_MS },
      });
      report.add({
        name: `${view} warm median`,
        value: quantile(warm, 0.5),
        unit: 'ms',
        target: { atMost: WARM_TARGET_MS },
      });
      report.add({
        name: `${view} warm p95`,
        value: quantile(warm, 0.95),
        unit: 'ms',
        target: { atMost: WARM_TARGET_MS },
      });
    }
    report.add({
      name: 'API peak RSS while querying',
      value: api.rss.peakBytes,
      unit: 'bytes',
      target: null,
    });
  } finally {
    await api.stop();
  }
  report.print();
  report.writeJson(options.json);
}

async function timed(api: ApiProcess, view: string): Promise<number> {
  const started = performance.now();
  await api.get(view);
  return performance.now() - started;
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? (error.stack ?? error.message) : error);
  process.exit(1);
});
