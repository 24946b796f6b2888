/**
 * `tandem rebuild`: asks the process that owns the projector to re-project the
 * whole event log, then follows its progress (events position vs store head,
 * rate, ETA) until it has caught up.
 */
import type { ApiClient } from '../api-client';

interface Health {
  eventStore: { headPosition: string | null };
  projector: { position?: string | null; caughtUp?: boolean; failure?: string | null };
}

export async function rebuildProjections(api: ApiClient, timeoutMs = 3_600_000): Promise<number> {
  await api.post('/ops/rebuild', {}, 'ops', 'tandem-cli');
  const started = Date.now();
  let lastPrint = 0;
  for (;;) {
    const health = await api.get<Health>('/health');
    if (health.projector.failure) {
      console.error(`rebuild failed: ${health.projector.failure}`);
      return 1;
    }
    const head = Number(health.eventStore.headPosition ?? 0);
    const done = Number(health.projector.position ?? 0);
    if (health.projector.caughtUp) {
      console.log(`rebuilt: ${done} positions in ${((Date.now() - started) / 1000).toFixed(1)} s`);
      return 0;
    }
    if (Date.now() - lastPrint > 2000) {
      const seconds = (Date.now() - started) / 1000;
      const rate = done / Math.max(seconds, 0.001);
      const eta = rate > 0 ? ((head - done) / rate).toFixed(0) : '?';
      console.log(`rebuilding: ${done}/${head} (${rate.toFixed(0)}/s, ETA ${eta} s)`);
      lastPrint = Date.now();
    }
    if (Date.now() - started > timeoutMs) {
      console.error('rebuild did not finish in time');
      return 1;
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}
