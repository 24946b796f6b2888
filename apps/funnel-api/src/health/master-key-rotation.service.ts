/**
 * Finishes a master-key rotation in the background (docs/personal-data.md): with
 * TANDEM_MASTER_KEY_PREVIOUS set, every lead key still wrapped by the previous master key is
 * wrapped again by the current one, a batch at a time in lead id order, after start. Several
 * replicas may do it at once and a crash may stop it anywhere: a row is rewritten only while the
 * previous key still wraps it, so the work is safe to repeat. A key the previous master key does
 * not unwrap (damaged, or wrapped by another key: KeyNotUnwrappedError) is passed over, left as
 * it is, counted and named at warn (lead ids are not personal data: docs/personal-data.md); it
 * keeps the count above 0 until an operator restores or erases it. A key wrapped by a third
 * master key (neither the current nor the previous) is counted and named the same way, apart: no
 * rotation here takes it. Any other failure of an unwrap (a key service not answering) names no
 * key: the pass fails and is tried again, waiting longer after each failure in a row.
 * /health and the metrics read what is kept here (the count refreshed at most every
 * COUNT_EVERY_MS while it runs, every RECHECK_MS after), never a statement of their own; the
 * log says when none is left and the previous key can go.
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
/** Counting reads the keys under the previous master key: not after every batch. */
const COUNT_EVERY_MS = 5_000;
/**
 * After a failed pass (database down, or the key service not answering an unwrap), or keys left
 * that the next pass may rewrap. Failed passes in a row wait twice as long each time, up to
 * RECHECK_MS: a key service that is down is not asked every 10 s for as long as it is down.
 */
export const RETRY_MS = 10_000;
/**
 * Once none is left (or only keys that do not unwrap), counted again now and then: mid-rollout
 * a process still running with the previous key as its current one wraps new leads' keys with
 * it, and an operator may have restored or erased a key that did not unwrap.
 */
export const RECHECK_MS = 60_000;
/** Lead ids named in /health and in one log line; the count says how many in all. */
const NAMED_LEADS = 20;

export type MasterKeyRotationHealth =
  | { readonly state: 'none' }
  | {
      /** `blocked`: every key left under the previous master key is one it did not unwrap. */
      readonly state: 'rewrapping' | 'done' | 'blocked';
      readonly keysUnderPreviousKey: number | null;
      readonly keysNotUnwrapped: number;
      readonly leadsWithKeysNotUnwrapped: readonly string[];
      /** Keys wrapped by neither the current nor the previous master key: none opens them. */
      readonly keysUnderOtherMasterKeys: number;
      readonly leadsWithKeysUnderOtherMasterKeys: readonly string[];
    };

@Injectable()
export class MasterKeyRotationService implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger('master-key-rotation');
  private readonly rotation: MasterKeyRotation | null;
  private remaining: number | null = null;
  /** The leads whose key did not unwrap at the last full pass. */
  private unreadable: readonly string[] = [];
  /** The keys under a third master key at the last full pass. */
  private foreign: { readonly count: number; readonly leads: readonly string[] } = {
    count: 0,
    leads: [],
  };
  private running: Promise<void> | null = null;
  private timer: NodeJS.Timeout | null = null;
  private stopped = false;
  private announced = false;
  private warned = '';
  private warnedForeign = '';
  /** Passes failed in a row: the next one waits longer (RETRY_MS doubled, up to RECHECK_MS). */
  private failures = 0;

  constructor(@Inject(EVENT_STORE) store: EventStore) {
    this.rotation = keyRotationOf(store);
  }

  onApplicationBootstrap(): void {
    if (this.rotation !== null) this.next(0);
  }

  async onModuleDestroy(): Promise<void> {
    this.stopped = true;
    if (this.timer !== null) clearTimeout(this.timer);
    await this.running;
  }

  health(): MasterKeyRotationHealth {
    if (this.rotation === null) return { state: 'none' };
    const notUnwrapped = this.unreadable.length;
    return {
      state:
        this.remaining === 0
          ? 'done'
          : this.remaining !== null && notUnwrapped > 0 && this.remaining <= notUnwrapped
            ? 'blocked'
            : 'rewrapping',
      keysUnderPreviousKey: this.remaining,
      keysNotUnwrapped: notUnwrapped,
      leadsWithKeysNotUnwrapped: this.unreadable.slice(0, NAMED_LEADS),
      keysUnderOtherMasterKeys: this.foreign.count,
      leadsWithKeysUnderOtherMasterKeys: this.foreign.leads,
    };
  }

  /** Keys still under the previous master key as last counted; null before the first count. */
  keysUnderPreviousKey(): number | null {
    return this.rotation === null ? 0 : this.remaining;
  }

  /** Keys the previous master key did not unwrap at the last pass (0 without a rotation). */
  keysNotUnwrapped(): number {
    return this.unreadable.length;
  }

  /** Keys under neither master key at the last pass (0 without a rotation). */
  keysUnderOtherMasterKeys(): number {
    return this.foreign.count;
  }

  /**
   * One pass over every key under the previous master key, then a count; resolves with the
   * delay before the next pass. The timer runs it after start; a spec drives it directly.
   */
  async pass(): Promise<number> {
    const rotation = this.rotation;
    if (rotation === null) return RECHECK_MS;
    try {
      const unreadable: string[] = [];
      let countedAt = 0;
      for (let after = ''; ;) {
        if (this.stopped) return RETRY_MS;
        if (Date.now() - countedAt >= COUNT_EVERY_MS) {
          this.remaining = await rotation.keysUnderPrevious();
          countedAt = Date.now();
        }
        const batch = await rotation.rewrapPrevious(BATCH_KEYS, after);
        if (batch.last === null) break;
        unreadable.push(...batch.unreadable);
        after = batch.last;
      }
      this.unreadable = unreadable;
      this.remaining = await rotation.keysUnderPrevious();
      this.foreign = await rotation.keysUnderOtherMasterKeys(NAMED_LEADS);
      this.report(unreadable);
      this.failures = 0;
      return this.remaining <= unreadable.length ? RECHECK_MS : RETRY_MS;
    } catch (error) {
      // Not a key that does not unwrap (those are named, above): the database or the key
      // service did not answer. Nothing is taken for a bad row; the pass is tried again.
      this.failures += 1;
      const delay = Math.min(RETRY_MS * 2 ** (this.failures - 1), RECHECK_MS);
      const message = error instanceof Error ? error.message : String(error);
      this.logger.warn(
        `rewrapping lead keys under the current master key failed (${this.failures} pass(es) in a row), trying again in ${delay / 1000} s: ${message}`,
      );
      return delay;
    }
  }

  private report(unreadable: readonly string[]): void {
    // Each said once a time it becomes true, not at every recount after.
    const named = unreadable.join(',');
    if (named !== this.warned && unreadable.length > 0) {
      const more = unreadable.length - NAMED_LEADS;
      this.logger.warn(
        `${unreadable.length} lead key(s) under the previous master key did not unwrap and are left as they are (damaged, or wrapped by another key); restore or erase them (docs/personal-data.md): ${unreadable.slice(0, NAMED_LEADS).join(', ')}${more > 0 ? ` and ${more} more` : ''}`,
      );
    }
    this.warned = named;
    const foreign = `${this.foreign.count}:${this.foreign.leads.join(',')}`;
    if (foreign !== this.warnedForeign && this.foreign.count > 0) {
      const more = this.foreign.count - this.foreign.leads.length;
      this.logger.warn(
        `${this.foreign.count} lead key(s) are wrapped by neither the current nor the previous master key: neither opens them and no rotation here takes them (a replica on another TANDEM_MASTER_KEY, or a row restored from an older rotation); rewrap them with that key or erase them (docs/personal-data.md): ${this.foreign.leads.join(', ')}${more > 0 ? ` and ${more} more` : ''}`,
      );
    }
    this.warnedForeign = foreign;
    if (this.remaining !== 0) this.announced = false;
    else if (!this.announced) {
      this.announced = true;
      this.logger.log(
        'every lead key is wrapped by the current master key: TANDEM_MASTER_KEY_PREVIOUS can be removed and the previous key destroyed',
      );
    }
  }

  private next(delayMs: number): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.running = this.pass().then((delay) => this.next(delay));
    }, delayMs);
    this.timer.unref();
  }
}
