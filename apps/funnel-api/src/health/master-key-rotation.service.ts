/**
 * Finishes a master-key rotation in the background (docs/personal-data.md): with
 * TANDEM_MASTER_KEY_PREVIOUS set, every lead key still wrapped by the previous master key is
 * wrapped again by the current one, a batch at a time, after start. Several replicas may do it
 * at once and a crash may stop it anywhere: a row is rewritten only while the previous key still
 * wraps it, so the work is safe to repeat. /health and the metric read the count kept here
 * (refreshed at most every COUNT_EVERY_MS while it runs, every RECHECK_MS after), never a
 * statement of their own; the log says when none is left and the previous key can be removed.
 *
 * It must never stop the API, log a key, or touch an erased lead's row (the vault's UPDATE
 * skips a NULL key).
 */
import {
  Inject,
  Injectable,
  Logger,
  type OnApplicationBootstrap,
  type OnModuleDestroy,
} from '@nestjs/common';
import { type EventStore, keyRotationOf, type MasterKeyRotation } from '@tandem/event-store';
import { EVENT_STORE } from '../platform/tokens';

const BATCH_KEYS = 500;
/** Counting is a scan of the key table: not after every batch of a long rotation. */
const COUNT_EVERY_MS = 5_000;
/** After a failed batch (database down, a row that does not unwrap), the next try. */
const RETRY_MS = 10_000;
/**
 * Once none is left, counted again now and then: mid-rollout a process still running with the
 * previous key as its current one wraps new leads' keys with it.
 */
const RECHECK_MS = 60_000;

export type MasterKeyRotationHealth =
  | { readonly state: 'none' }
  | { readonly state: 'rewrapping' | 'done'; readonly keysUnderPreviousKey: number | null };

@Injectable()
export class MasterKeyRotationService implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger('master-key-rotation');
  private readonly rotation: MasterKeyRotation | null;
  private remaining: number | null = null;
  private running: Promise<void> | null = null;
  private timer: NodeJS.Timeout | null = null;
  private stopped = false;
  private announced = false;

  constructor(@Inject(EVENT_STORE) store: EventStore) {
    this.rotation = keyRotationOf(store);
  }

  onApplicationBootstrap(): void {
    if (this.rotation !== null) this.running = this.run(this.rotation);
  }

  async onModuleDestroy(): Promise<void> {
    this.stopped = true;
    if (this.timer !== null) clearTimeout(this.timer);
    await this.running;
  }

  health(): MasterKeyRotationHealth {
    if (this.rotation === null) return { state: 'none' };
    return {
      state: this.remaining === 0 ? 'done' : 'rewrapping',
      keysUnderPreviousKey: this.remaining,
    };
  }

  /** Keys still under the previous master key as last counted; null before the first count. */
  keysUnderPreviousKey(): number | null {
    return this.rotation === null ? 0 : this.remaining;
  }

  private async run(rotation: MasterKeyRotation): Promise<void> {
    try {
      let countedAt = 0;
      for (;;) {
        if (this.stopped) return;
        if (Date.now() - countedAt >= COUNT_EVERY_MS) {
          this.remaining = await rotation.keysUnderPrevious();
          countedAt = Date.now();
        }
        const { selected } = await rotation.rewrapPrevious(BATCH_KEYS);
        if (selected === 0) break;
      }
      this.remaining = await rotation.keysUnderPrevious();
      // Said once a time it reaches 0, not at every recount after.
      if (this.remaining > 0) this.announced = false;
      else if (!this.announced) {
        this.announced = true;
        this.logger.log(
          'every lead key is wrapped by the current master key: TANDEM_MASTER_KEY_PREVIOUS can be removed and the previous key destroyed',
        );
      }
      this.again(rotation, this.remaining === 0 ? RECHECK_MS : RETRY_MS);
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      this.logger.warn(`rewrapping lead keys under the current master key failed: ${message}`);
      this.again(rotation, RETRY_MS);
    }
  }

  private again(rotation: MasterKeyRotation, delayMs: number): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.running = this.run(rotation);
    }, delayMs);
    this.timer.unref();
  }
}
