import { SlidingWindowThrottlerStorage } from './rate-limit.storage';

const MINUTE = 60_000;

describe('SlidingWindowThrottlerStorage', () => {
  let now: number;
  let storage: SlidingWindowThrottlerStorage;
  const hit = (caller = 'ann', limit = 3) =>
    storage.increment(caller, MINUTE, limit, MINUTE, 'default');

  beforeEach(() => {
    now = 1_000_000_500; // mid-slot: hits do not sit on a slot boundary
    storage = new SlidingWindowThrottlerStorage(() => now);
  });

  afterEach(() => storage.onApplicationShutdown());

  it('admits `limit` writes, then blocks for blockDuration with a Retry-After', async () => {
    for (let i = 1; i <= 3; i++) {
      await expect(hit()).resolves.toMatchObject({ totalHits: i, isBlocked: false });
    }
    const refused = await hit();
    expect(refused.isBlocked).toBe(true);
    expect(refused.timeToBlockExpire).toBe(60);
    now += 30_000;
    await expect(hit()).resolves.toMatchObject({ isBlocked: true, timeToBlockExpire: 30 });
  });

  it('counts each caller on its own', async () => {
    for (let i = 0; i < 4; i++) await hit('busy');
    await expect(hit('calm')).resolves.toMatchObject({ totalHits: 1, isBlocked: false });
  });

  it('never lets a hit expire before the window has passed', async () => {
    await hit();
    now += 20_000;
    await hit();
    await hit();
    // Just short of a minute after the first hit: all three still count.
    now += MINUTE - 20_000 - 1;
    await expect(hit()).resolves.toMatchObject({ isBlocked: true });
  });

  it('lets hits go once the window (and at most one slot more) has passed', async () => {
    await hit();
    await hit();
    now += MINUTE + 1_000;
    await expect(hit()).resolves.toMatchObject({ totalHits: 1, isBlocked: false });
  });

  it('starts afresh when a block has run out', async () => {
    for (let i = 0; i < 4; i++) await hit();
    now += MINUTE;
    await expect(hit()).resolves.toMatchObject({ totalHits: 1, isBlocked: false });
  });

  it('keeps the total exact over many hits spread across the window', async () => {
    const limit = 100_000;
    for (let i = 0; i < 6_000; i++) {
      await hit('integration', limit);
      now += 20; // 6,000 hits over two minutes: about half of them still in the window
    }
    const { totalHits } = await hit('integration', limit);
    // Hits of the last minute (3,000) up to one slot (1 s: 50 hits) more.
    expect(totalHits).toBeGreaterThanOrEqual(3_001);
    expect(totalHits).toBeLessThanOrEqual(3_051);
  });

  it('says when the oldest counted hit leaves the window', async () => {
    await hit();
    now += 10_000;
    const { timeToExpire } = await hit();
    expect(timeToExpire).toBeGreaterThanOrEqual(50);
    expect(timeToExpire).toBeLessThanOrEqual(51);
  });

  it('forgets idle callers on a sweep, never one still counted or blocked', async () => {
    await hit('idle');
    for (let i = 0; i < 4; i++) await hit('blocked');
    now += MINUTE + 1_000;
    await hit('active');
    storage.sweep();
    expect(storage.callers).toBe(1);
  });
});
