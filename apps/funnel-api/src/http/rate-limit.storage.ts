/**
 * The rate limits' counts (writes, and reads when limited), in constant time per request. @nestjs/throttler's own storage
 * keeps one timestamp per hit and filters the whole list on every request: O(hits in the
 * window), so one busy caller (an integration sending thousands of writes a minute) made every
 * request slower the more it sent. Here each caller has a ring of `SLOTS` + 1 counters, one per
 * 1/SLOTS of the window: a request adds one to the current slot, and slots that fell out of the
 * window are zeroed as time passes them (each once), so the total is kept, never recounted.
 *
 * A hit counts from its request until the window has passed and at most one slot longer (never
 * shorter), so no window of `ttl` ever admits more than `limit` writes. Blocking is the
 * throttler's own: the write over the limit starts a block of `blockDuration` during which
 * nothing counts; when it ends the caller starts afresh. Counts live in this process's memory.
 * It must never let a hit expire before `ttl` has passed.
 */
import { Injectable, type OnApplicationShutdown } from '@nestjs/common';
import type { ThrottlerStorage } from '@nestjs/throttler';

/** What ThrottlerStorage.increment answers (the package does not export the type by name). */
type ThrottlerStorageRecord = Awaited<ReturnType<ThrottlerStorage['increment']>>;

/** Slots per window: a hit outlives its window by at most ttl / SLOTS (1 s for a minute). */
export const SLOTS = 60;
/** Idle callers are forgotten this often. */
const SWEEP_INTERVAL_MS = 60_000;

class CallerWindow {
  /** Counters of the last SLOTS + 1 slots, indexed by absolute slot modulo their number. */
  readonly counts = new Uint32Array(SLOTS + 1);
  total = 0;
  /** Absolute index (time / slot width) of the newest slot counted so far. */
  newest: number;
  blockedUntil = 0;

  constructor(
    readonly slotMs: number,
    now: number,
  ) {
    this.newest = Math.floor(now / slotMs);
  }

  /** Zeroes the slots that left the window since the last call: each slot once. */
  advance(now: number): void {
    const slot = Math.floor(now / this.slotMs);
    if (slot - this.newest > SLOTS) {
      this.counts.fill(0);
      this.total = 0;
    } else {
      for (let s = this.newest + 1; s <= slot; s++) {
        const at = s % this.counts.length;
        this.total -= this.counts[at] as number;
        this.counts[at] = 0;
      }
    }
    if (slot > this.newest) this.newest = slot;
  }

  hit(): void {
    const at = this.newest % this.counts.length;
    this.counts[at] = (this.counts[at] as number) + 1;
    this.total += 1;
  }

  /** Ms until the oldest counted hit leaves the window (0 when none is counted). */
  msUntilOldestExpires(now: number): number {
    if (this.total === 0) return 0;
    for (let s = this.newest - SLOTS; s <= this.newest; s++) {
      if (s >= 0 && (this.counts[s % this.counts.length] as number) > 0) {
        return (s + SLOTS + 1) * this.slotMs - now;
      }
    }
    return 0;
  }

  reset(): void {
    this.counts.fill(0);
    this.total = 0;
    this.blockedUntil = 0;
  }
}

@Injectable()
export class SlidingWindowThrottlerStorage implements ThrottlerStorage, OnApplicationShutdown {
  private readonly windows = new Map<string, CallerWindow>();
  private sweeper: NodeJS.Timeout | null = null;

  constructor(private readonly now: () => number = Date.now) {}

  get callers(): number {
    return this.windows.size;
  }

  increment(
    key: string,
    ttl: number,
    limit: number,
    blockDuration: number,
    throttlerName: string,
  ): Promise<ThrottlerStorageRecord> {
    this.startSweeping();
    const now = this.now();
    const id = `${throttlerName}\n${key}`;
    const slotMs = Math.max(1, ttl / SLOTS);
    let window = this.windows.get(id);
    if (window === undefined || window.slotMs !== slotMs) {
      window = new CallerWindow(slotMs, now);
      this.windows.set(id, window);
    }
    window.advance(now);
    if (window.blockedUntil > now) {
      return Promise.resolve(this.record(window, now, true));
    }
    // A block that has run out: the caller starts afresh, as the throttler's own storage does.
    if (window.blockedUntil !== 0) window.reset();
    if (blockDuration <= 0 && window.total >= limit) {
      // No block: refused until enough hits leave the window, and the refusal is not counted.
      const record = this.record(window, now, false);
      return Promise.resolve({
        ...record,
        isBlocked: true,
        timeToBlockExpire: record.timeToExpire,
      });
    }
    window.hit();
    if (window.total > limit && blockDuration > 0) window.blockedUntil = now + blockDuration;
    return Promise.resolve(
      this.record(window, now, window.blockedUntil > now || window.total > limit),
    );
  }

  onApplicationShutdown(): void {
    if (this.sweeper !== null) clearInterval(this.sweeper);
    this.sweeper = null;
    this.windows.clear();
  }

  /** Forgets callers with nothing counted and no block running. */
  sweep(): void {
    const now = this.now();
    for (const [id, window] of this.windows) {
      window.advance(now);
      if (window.total === 0 && window.blockedUntil <= now) this.windows.delete(id);
    }
  }

  private record(window: CallerWindow, now: number, isBlocked: boolean): ThrottlerStorageRecord {
    return {
      totalHits: window.total,
      timeToExpire: Math.ceil(window.msUntilOldestExpires(now) / 1000),
      isBlocked,
      timeToBlockExpire: isBlocked ? Math.max(1, Math.ceil((window.blockedUntil - now) / 1000)) : 0,
    };
  }

  private startSweeping(): void {
    if (this.sweeper !== null) return;
    this.sweeper = setInterval(() => this.sweep(), SWEEP_INTERVAL_MS);
    this.sweeper.unref();
  }
}
