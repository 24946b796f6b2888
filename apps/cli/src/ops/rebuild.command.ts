/**
 * `tandem rebuild`: asks the process that owns the projector to re-project the
 * whole event log, then follows its progress (events position vs store head,
 * rate, ETA) on stderr until it has caught up and its views answer from their
 * snapshot again (until then they fold the whole state: seconds a view at 10M
 * events). stdout gets only the result.
 */
import type { ApiClient } from '../api-client';
import { asJson, type CliIo, terminalCliIo } from '../cli-io';

interface Health {
  eventStore: { headPosition: string | null };
  projector: {
    position?: string | null;
    caughtUp?: boolean;
    failure?: string | null;
    /** Absent from an API that does not say (older), null where snapshots are off. */
    viewsFromSnapshot?: boolean | null;
  };
}

export interface RebuildResult {
  readonly ok: boolean;
  /** The projection's position when it caught up, or when the rebuild stopped. */
  readonly position: number;
  readonly head: number;
  readonly seconds: number;
  readonly failure: string | null;
}

const pollIntervalMs = 250;
const progressIntervalMs = 2000;

export async function rebuildProjections(
  api: Pick<ApiClient, 'get' | 'post'>,
  options: { readonly json?: boolean; readonly timeoutMs?: number } = {},
  io: CliIo = terminalCliIo,
): Promise<number> {
  const timeoutMs = options.timeoutMs ?? 3_600_000;
  await api.post('/ops/rebuild', {}, 'ops', 'tandem-cli');
  const started = io.now();
  let lastPrint = started;
  const finish = (result: RebuildResult): number => {
    if (options.json) io.print(asJson(result));
    else if (result.ok) io.print(`rebuilt: ${result.position} positions in ${result.seconds} s`);
    if (!result.ok) io.warn(`rebuild failed: ${result.failure}`);
    return result.ok ? 0 : 1;
  };
  for (;;) {
    const health = await api.get<Health>('/health');
    const head = Number(health.eventStore.headPosition ?? 0);
    const done = Number(health.projector.position ?? 0);
    const seconds = Number(((io.now() - started) / 1000).toFixed(1));
    if (health.projector.failure) {
      return finish({
        ok: false,
        position: done,
        head,
        seconds,
        failure: health.projector.failure,
      });
    }
    const viewsWaiting = health.projector.viewsFromSnapshot === false;
    if (health.projector.caughtUp && !viewsWaiting) {
      return finish({ ok: true, position: done, head, seconds, failure: null });
    }
    if (io.now() - lastPrint >= progressIntervalMs) {
      const rate = done / Math.max(seconds, 0.001);
      const eta = rate > 0 ? ((head - done) / rate).toFixed(0) : '?';
      io.warn(
        health.projector.caughtUp
          ? `rebuilding: ${done}/${head}, the views' snapshot being taken`
          : `rebuilding: ${done}/${head} (${rate.toFixed(0)}/s, ETA ${eta} s)`,
      );
      lastPrint = io.now();
    }
    if (io.now() - started > timeoutMs) {
      const failure = `did not finish within ${timeoutMs / 1000} s`;
      return finish({ ok: false, position: done, head, seconds, failure });
    }
    await io.sleep(pollIntervalMs);
  }
}
