import { type PolledLog, startCatchUpSubscription } from './catch-up-subscription';
import type { RecordedEvent, SubscribeOptions, Subscription } from './event-store.port';

const HOUR_MS = 3_600_000;

/** An in-memory global log whose notifications the test controls. */
class FakeLog implements PolledLog {
  readonly events: RecordedEvent[] = [];
  reads = 0;
  failReadsWith: Error | null = null;
  private readonly wakers = new Set<() => void>();

  append(count: number, { notify = true } = {}): bigint {
    for (let i = 0; i < count; i += 1) {
      const position = BigInt(this.events.length + 1);
      this.events.push({
        eventId: `e${position}`,
        type: 'Tested',
        schemaVersion: 1,
        data: {},
        metadata: {},
        streamId: 's',
        streamRevision: position - 1n,
        globalPosition: position,
        recordedAt: new Date(0),
      });
    }
    if (notify) this.notify();
    return BigInt(this.events.length);
  }

  notify(): void {
    for (const wake of this.wakers) wake();
  }

  get watchers(): number {
    return this.wakers.size;
  }

  readAfter(after: bigint | null, maxCount: number): Promise<readonly RecordedEvent[]> {
    this.reads += 1;
    if (this.failReadsWith !== null) return Promise.reject(this.failReadsWith);
    const from = after === null ? 0 : Number(after);
    return Promise.resolve(this.events.slice(from, from + maxCount));
  }

  watch(wake: () => void): () => void {
    this.wakers.add(wake);
    return () => this.wakers.delete(wake);
  }
}

describe('catch-up subscription', () => {
  let log: FakeLog;
  const started: Subscription[] = [];

  function start(options: Partial<SubscribeOptions> & { pollIntervalMs?: number } = {}): {
    subscription: Subscription;
    delivered: RecordedEvent[][];
  } {
    const delivered: RecordedEvent[][] = [];
    const subscription = startCatchUpSubscription(log, {
      pollIntervalMs: HOUR_MS,
      handle: (batch) => {
        delivered.push([...batch]);
        return Promise.resolve();
      },
      ...options,
    });
    started.push(subscription);
    return { subscription, delivered };
  }

  beforeEach(() => {
    log = new FakeLog();
  });

  afterEach(async () => {
    await Promise.all(started.splice(0).map((subscription) => subscription.stop()));
    jest.useRealTimers();
  });

  it('catches up in batches of at most batchSize, in order', async () => {
    const head = log.append(7);
    const { subscription, delivered } = start({ batchSize: 3 });
    await subscription.waitFor(head, 1_000);
    expect(delivered.map((batch) => batch.map((event) => event.globalPosition))).toEqual([
      [1n, 2n, 3n],
      [4n, 5n, 6n],
      [7n],
    ]);
    expect(subscription.position).toBe(7n);
  });

  it('reads one batch ahead while catching up, and advances only when the handler settles', async () => {
    const head = log.append(7);
    let release: () => void = () => undefined;
    const firstHandled = new Promise<void>((resolve) => (release = resolve));
    const delivered: bigint[][] = [];
    const subscription = startCatchUpSubscription(log, {
      pollIntervalMs: HOUR_MS,
      batchSize: 3,
      handle: async (batch) => {
        delivered.push(batch.map((event) => event.globalPosition));
        if (delivered.length === 1) await firstHandled;
      },
    });
    started.push(subscription);
    // The first batch is full, so the second is read while the handler still holds the first.
    await waitUntil(() => log.reads >= 2);
    expect(delivered).toEqual([[1n, 2n, 3n]]);
    expect(subscription.position).toBeNull();
    release();
    await subscription.waitFor(head, 1_000);
    expect(delivered).toEqual([[1n, 2n, 3n], [4n, 5n, 6n], [7n]]);
  });

  it('starts strictly after `after`', async () => {
    log.append(5);
    const { subscription, delivered } = start({ after: 3n });
    expect(subscription.position).toBe(3n);
    await subscription.waitFor(5n, 1_000);
    expect(delivered.flat().map((event) => event.globalPosition)).toEqual([4n, 5n]);
  });

  it('wakes on a notification once caught up', async () => {
    const { subscription, delivered } = start();
    await waitUntil(() => log.reads >= 1);
    const head = log.append(2);
    // The poll interval is an hour: only the notification can deliver this in time.
    await subscription.waitFor(head, 1_000);
    expect(delivered.flat()).toHaveLength(2);
  });

  it('still delivers when a notification is lost, on the next poll', async () => {
    const { subscription, delivered } = start({ pollIntervalMs: 10 });
    await waitUntil(() => log.reads >= 1);
    const head = log.append(1, { notify: false });
    await subscription.waitFor(head, 1_000);
    expect(delivered.flat()).toHaveLength(1);
  });

  it('does not read the next batch before the handler settled', async () => {
    log.append(4);
    let release: () => void = () => undefined;
    const handled: bigint[] = [];
    const subscription = startCatchUpSubscription(log, {
      pollIntervalMs: HOUR_MS,
      batchSize: 2,
      handle: (batch) => {
        handled.push(...batch.map((event) => event.globalPosition));
        return new Promise<void>((resolve) => {
          release = resolve;
        });
      },
    });
    started.push(subscription);
    await waitUntil(() => handled.length === 2);
    const readsWhileHandling = log.reads;
    log.notify();
    await Promise.resolve();
    expect(log.reads).toBe(readsWhileHandling);
    expect(subscription.position).toBeNull();

    release();
    await waitUntil(() => handled.length === 4);
    release();
    await subscription.waitFor(4n, 1_000);
  });

  it('a handler failure rejects done and pending waits, and stops watching', async () => {
    const failure = new Error('projection refused');
    const subscription = startCatchUpSubscription(log, {
      pollIntervalMs: HOUR_MS,
      handle: () => Promise.reject(failure),
    });
    started.push(subscription);
    const pending = subscription.waitFor(1n, 1_000);
    log.append(1);
    await expect(subscription.done).rejects.toBe(failure);
    await expect(pending).rejects.toBe(failure);
    await expect(subscription.waitFor(1n, 1_000)).rejects.toBe(failure);
    expect(subscription.position).toBeNull();
    expect(log.watchers).toBe(0);
  });

  it('a read failure rejects done', async () => {
    log.failReadsWith = new Error('connection reset');
    const { subscription } = start();
    await expect(subscription.done).rejects.toThrow('connection reset');
  });

  it('waitFor resolves at once for a position already reached, and times out otherwise', async () => {
    const { subscription } = start({ after: 10n });
    await expect(subscription.waitFor(10n, 1)).resolves.toBeUndefined();
    await expect(subscription.waitFor(11n, 20)).rejects.toThrow(/within 20 ms/);
  });

  it('stop() ends done, rejects pending waits and leaves no timer or watcher behind', async () => {
    jest.useFakeTimers();
    const { subscription } = start();
    const pending = subscription.waitFor(100n, HOUR_MS);
    await jest.advanceTimersByTimeAsync(0);
    expect(log.reads).toBe(1);

    await subscription.stop();
    await expect(pending).rejects.toThrow(/stopped/);
    await expect(subscription.done).resolves.toBeUndefined();
    expect(jest.getTimerCount()).toBe(0);
    expect(log.watchers).toBe(0);
  });

  it('refuses a batchSize that is not a positive integer', () => {
    expect(() => start({ batchSize: 0 })).toThrow(RangeError);
  });
});

async function waitUntil(condition: () => boolean, timeoutMs = 1_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() >= deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((resolve) => setImmediate(resolve));
  }
}
