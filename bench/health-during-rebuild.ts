/**
 * `node dist-bench/bench/health-during-rebuild.js [--store …] [--schema …] [--json FILE]`: how
 * long `GET /health` takes while the API catches up and while it rebuilds, the times a
 * readiness probe or `tandem status` would see. Starts the built API on the benchmark's store
 * with a fresh analytics directory, then calls /health one call at a time, 250 ms apart, from
 * the first answer of /health/live until the projector is at the head; then POST /ops/rebuild
 * and the same until the head again. Prints each phase's median and max beside the target
 * (the Kubernetes probe's default timeout, 1 s).
 */
import { ApiProcess } from './bench.api-process';
import { describeStore, parseBenchArgs } from './bench.options';
import { BenchReport, quantile } from './bench.report';

const POLL_EVERY_MS = 250;
const TIMEOUT_MS = 3600_000;

async function main(): Promise<void> {
  const { options } = parseBenchArgs({});
  const report = new BenchReport('health during a catch-up and a rebuild — GET /health latency');
  report.note('store', describeStore(options.store));
  const api = await ApiProcess.start(options);
  try {
    for (const [phase, begin] of [
      ['initial catch-up', () => Promise.resolve()],
      ['POST /ops/rebuild', async () => void (await api.post('/ops/rebuild', {}))],
    ] as const) {
      await begin();
      const took = await pollUntilCaughtUp(api);
      report.note(`${phase}: /health calls`, took.length);
      report.add({
        name: `${phase}: /health median`,
        value: quantile(took, 0.5),
        unit: 'ms',
        target: { atMost: 1000, label: 'a 1 s probe' },
      });
      report.add({
        name: `${phase}: /health max`,
        value: Math.max(...took),
        unit: 'ms',
        target: { atMost: 1000, label: 'a 1 s probe' },
      });
    }
  } finally {
    await api.stop();
  }
  report.print();
  report.writeJson(options.json);
}

/** Each call's milliseconds, calls 250 ms apart, until /health says the projector is at the head. */
async function pollUntilCaughtUp(api: ApiProcess): Promise<number[]> {
  const took: number[] = [];
  const deadline = Date.now() + TIMEOUT_MS;
  while (Date.now() < deadline) {
    const started = performance.now();
    const health = await api.health();
    took.push(performance.now() - started);
    if (health.projector.failure) throw new Error(`projection failed: ${health.projector.failure}`);
    // The first call after a rebuild's request may still see the old head reached: keep polling
    // until at least a few calls were made during the work.
    if (health.projector.caughtUp === true && took.length > 1) return took;
    await new Promise((resolve) => setTimeout(resolve, POLL_EVERY_MS));
  }
  throw new Error('the projector did not catch up within the hour');
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? (error.stack ?? error.message) : error);
  process.exit(1);
});
