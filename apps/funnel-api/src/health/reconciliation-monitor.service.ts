/**
 * Keeps /health cheap and still honest about reconciliation: the full check (lenses and every
 * kept rule set, see libs/analytics reconcileAll) runs in the background, one run at a time,
 * RECONCILE_EVERY_MS after the previous one ended, and /health reports the last verdict. A
 * request never waits for a check; `tandem reconcile` runs one on demand.
 *
 * It must never stop the API: a check that throws (e.g. ClickHouse busy or closing) is
 * reported as not run, and the next one is scheduled as usual.
 */
import {
  Inject,
  Injectable,
  Logger,
  type OnApplicationBootstrap,
  type OnModuleDestroy,
} from '@nestjs/common';
import { failsSettled } from '@tandem/analytics';
import type { AnalyticsHandle } from '../platform/analytics.provider';
import { ANALYTICS } from '../platform/tokens';

/** A minute: at 1M events one check costs a few seconds of one core, well under 10 %. */
export const RECONCILE_EVERY_MS = 60_000;
/** The first check after start, once the projector had a moment to catch up. */
const FIRST_CHECK_MS = 5_000;

export type ReconciliationHealth =
  | { readonly state: 'pending' }
  | { readonly state: 'error'; readonly checkedAt: string; readonly error: string }
  | {
      readonly state: 'ok' | 'failed' | 'unsettled';
      readonly checkedAt: string;
      readonly coveredPosition: string | null;
      readonly findings: readonly string[];
    };

@Injectable()
export class ReconciliationMonitor implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger('reconciliation');
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;
  private stopped = false;
  private last: ReconciliationHealth = { state: 'pending' };

  constructor(@Inject(ANALYTICS) private readonly analytics: AnalyticsHandle) {}

  onApplicationBootstrap(): void {
    this.schedule(FIRST_CHECK_MS);
  }

  async onModuleDestroy(): Promise<void> {
    this.stopped = true;
    if (this.timer !== null) clearTimeout(this.timer);
    await this.running;
  }

  /** The last verdict; `failed` only for a failure a moving projection cannot explain. */
  health(): ReconciliationHealth {
    return this.last;
  }

  private schedule(delayMs: number): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.running = this.check().finally(() => {
        this.running = null;
        this.schedule(RECONCILE_EVERY_MS);
      });
    }, delayMs);
    this.timer.unref();
  }

  private async check(): Promise<void> {
    const checkedAt = new Date().toISOString();
    try {
      const verdict = await this.analytics.reconciliation.reconcile();
      const state = verdict.ok ? 'ok' : failsSettled(verdict) ? 'failed' : 'unsettled';
      if (state === 'failed') {
        this.logger.error(`reconciliation failed: ${verdict.findings.join('; ')}`);
      }
      this.last = {
        state,
        checkedAt,
        coveredPosition: verdict.coveredPosition,
        findings: verdict.findings,
      };
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      this.last = { state: 'error', checkedAt, error: message };
    }
  }
}
