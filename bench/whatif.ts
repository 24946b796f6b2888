/**
 * `npm run bench:whatif [-- --threshold T] [--json FILE]`: a what-if over the whole history,
 * black box. Starts the API on the benchmark's store, waits until it has projected the log and
 * the active rule set is ready, then POSTs /ops/rules/replays with a draft (the shipped
 * definition as version 2 with a higher mql.threshold) and polls GET /ops/rules/replays/{id}
 * until it is done. Prints the duration beside the target (a what-if over 10M events in under
 * a minute, i.e. ≥ 166,667 events/s) and how often progress moved while it ran.
 * A kept run directory (--run-dir) already holding that draft's set answers at once: pass
 * another --threshold, or use a fresh directory.
 */
import { defaultFunnelDefinition } from '@tandem/domain';
import { ApiProcess } from './bench.api-process';
import { describeStore, numberOption, parseBenchArgs } from './bench.options';
import { BenchReport } from './bench.report';

const TIMEOUT_MS = 4 * 3600_000;
const TARGET_SECONDS_AT_10M = 60;

interface ReplayView {
  readonly id: string;
  readonly status: 'running' | 'done' | 'failed';
  readonly eventsDone: number;
  readonly eventsTotal: number;
  readonly eventsPerSecond: number | null;
  readonly error: string | null;
}

async function main(): Promise<void> {
  const { options, values } = parseBenchArgs({ threshold: { type: 'string' } });
  const threshold = numberOption(
    values.threshold,
    'threshold',
    defaultFunnelDefinition.mql.threshold + 10,
  );
  const report = new BenchReport('bench:whatif — replay of a draft rules version');
  report.note('store', describeStore(options.store));
  report.note('draft', `version 2, mql.threshold ${threshold} (active: v1, 55)`);

  const api = await ApiProcess.start(options);
  try {
    const head = await api.projectorCaughtUp(TIMEOUT_MS);
    await api.activeRuleSetReady(TIMEOUT_MS);
    report.note('events (store head position)', String(head));
    report.note('API ready and projected after', `${(Date.now() - api.spawnedAt) / 1000} s`);
    api.rss.resetPeak();

    const draft = {
      ...defaultFunnelDefinition,
      version: 2,
      mql: { ...defaultFunnelDefinition.mql, threshold },
    };
    const started = Date.now();
    let view = (await api.post('/ops/rules/replays', { draft })) as ReplayView;
    const progress = new Set<number>();
    while (view.status === 'running') {
      if (Date.now() - started > TIMEOUT_MS) throw new Error('the what-if did not finish');
      await new Promise((resolve) => setTimeout(resolve, 250));
      view = (await api.get(`/ops/rules/replays/${view.id}`)) as ReplayView;
      progress.add(view.eventsDone);
    }
    const seconds = (Date.now() - started) / 1000;
    if (view.status === 'failed') throw new Error(`the what-if failed: ${view.error}`);
    if (progress.size === 0) {
      throw new Error('the draft was already replayed in this run directory: pass --threshold');
    }
    const events = view.eventsTotal || Number(head);
    report.note('events replayed (eventsTotal)', events);
    report.add({ name: 'what-if duration', value: seconds, unit: 's', target: null });
    report.add({
      name: 'what-if rate',
      value: events / seconds,
      unit: 'events/s',
      target: { atLeast: 10_000_000 / TARGET_SECONDS_AT_10M, label: '10M in < 60 s' },
    });
    report.add({
      name: 'projected what-if time at 10M events',
      value: (10_000_000 / events) * seconds,
      unit: 's',
      target: { atMost: TARGET_SECONDS_AT_10M },
      note: 'linear extrapolation',
    });
    report.add({
      name: 'distinct progress values seen (250 ms polls)',
      value: progress.size,
      unit: '',
      target: null,
    });
    report.add({
      name: 'API peak RSS during the what-if',
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

main().catch((error: unknown) => {
  console.error(error instanceof Error ? (error.stack ?? error.message) : error);
  process.exit(1);
});
