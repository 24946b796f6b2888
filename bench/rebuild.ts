/**
 * `npm run bench:rebuild [-- --store pglite] [--json FILE]`: projection speed, black box.
 * Starts the built API on the benchmark's store (filled by bench:data) with a fresh
 * analytics directory and times (1) its initial catch-up — a full projection of the log, which
 * begins in the API's bootstrap just before it listens, so timed from the first answer of
 * /health/live — until /health says the projector reached the head and the active rule set is
 * ready, and until /health/ready says the views answer from their snapshot (what readiness
 * waits for after a first projection or a rebuild), then (2) POST /ops/rebuild, the same way,
 * and how long the route took to begin it. Prints events/s beside the target (≥ 200k events/s
 * from PostgreSQL, ≥ 100k from PGlite) and the API's peak RSS.
 */
import { ApiProcess } from './bench.api-process';
import { describeStore, parseBenchArgs } from './bench.options';
import { BenchReport } from './bench.report';

const TIMEOUT_MS = 4 * 3600_000;

async function main(): Promise<void> {
  const { options } = parseBenchArgs({});
  const target = options.store.kind === 'postgres' ? 200_000 : 100_000;
  const report = new BenchReport('bench:rebuild — full projection into ClickHouse (chDB)');
  report.note('store', describeStore(options.store));

  const api = await ApiProcess.start(options);
  try {
    report.note(
      'API boot (spawn → /health/live answers)',
      `${(api.readyAt - api.spawnedAt) / 1000} s`,
    );
    const initial = await timeProjection(api, api.readyAt);
    report.note('events (store head position)', String(initial.head));
    report.add({
      name: 'initial catch-up, projector at head',
      value: initial.projectedSeconds,
      unit: 's',
      target: null,
    });
    report.add({
      name: 'initial catch-up incl. active rule set',
      value: initial.readySeconds,
      unit: 's',
      target: null,
    });
    report.add({
      name: "initial catch-up incl. the views' snapshot (ready)",
      value: initial.viewsSeconds,
      unit: 's',
      target: null,
    });
    report.add({
      name: 'initial catch-up rate',
      value: Number(initial.head) / initial.readySeconds,
      unit: 'events/s',
      target: { atLeast: target },
    });
    report.add({
      name: 'API peak RSS (start + catch-up)',
      value: api.rss.peakBytes,
      unit: 'bytes',
      target: null,
    });

    api.rss.resetPeak();
    const requested = Date.now();
    await api.post('/ops/rebuild', {});
    // The route answers once the rebuild has begun: the views' background builds stopped, the
    // analytics emptied, the projection restarted from the beginning of the log.
    report.add({
      name: 'POST /ops/rebuild answered (rebuild begun)',
      value: (Date.now() - requested) / 1000,
      unit: 's',
      target: null,
    });
    const rebuilt = await timeProjection(api, requested);
    report.add({
      name: 'POST /ops/rebuild, projector at head',
      value: rebuilt.projectedSeconds,
      unit: 's',
      target: null,
    });
    report.add({
      name: 'rebuild incl. active rule set',
      value: rebuilt.readySeconds,
      unit: 's',
      target: null,
    });
    report.add({
      name: "rebuild incl. the views' snapshot (ready)",
      value: rebuilt.viewsSeconds,
      unit: 's',
      target: null,
    });
    report.add({
      name: 'rebuild rate',
      value: Number(rebuilt.head) / rebuilt.readySeconds,
      unit: 'events/s',
      target: { atLeast: target },
    });
    report.add({
      name: 'API peak RSS during rebuild',
      value: api.rss.peakBytes,
      unit: 'bytes',
      target: null,
      note: 'flat as history grows: compare runs',
    });
    report.add({
      name: 'projected rebuild time at 10M events',
      value: (10_000_000 / Number(rebuilt.head)) * rebuilt.readySeconds,
      unit: 's',
      target: { atMost: 60, label: '10M in under a minute' },
      note: 'linear extrapolation',
    });
  } finally {
    await api.stop();
  }
  report.print();
  report.writeJson(options.json);
}

/**
 * Seconds from `since` until the projector is at the head, until the rule set is ready, and
 * until the views answer from their snapshot.
 */
async function timeProjection(api: ApiProcess, since: number) {
  const head = await api.projectorCaughtUp(TIMEOUT_MS);
  const projectedSeconds = (Date.now() - since) / 1000;
  await api.activeRuleSetReady(TIMEOUT_MS);
  const readySeconds = (Date.now() - since) / 1000;
  await api.viewsReady(TIMEOUT_MS);
  const viewsSeconds = (Date.now() - since) / 1000;
  return { head, projectedSeconds, readySeconds, viewsSeconds };
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? (error.stack ?? error.message) : error);
  process.exit(1);
});
