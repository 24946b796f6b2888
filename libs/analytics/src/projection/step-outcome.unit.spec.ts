import {
  backOffMs,
  dlq,
  ok,
  retry,
  retryOnFailure,
  StepCancelledError,
  untilSettled,
  type StepOutcome,
} from './step-outcome';

describe('step outcomes', () => {
  it('backs off 1 s, 2 s, 4 s … and never waits more than 30 s', () => {
    expect([1, 2, 3, 4, 5, 6, 7, 100].map(backOffMs)).toEqual([
      1_000, 2_000, 4_000, 8_000, 16_000, 30_000, 30_000, 30_000,
    ]);
    expect(retry('ClickHouse down', 3)).toEqual({
      kind: 'retry',
      reason: 'ClickHouse down',
      attempt: 3,
      delayMs: 4_000,
    });
  });

  it('turns a failed write into a retry with its reason, and a finished one into ok', async () => {
    expect(await retryOnFailure(2, () => Promise.reject(new Error('disk full')))).toEqual(
      retry('disk full', 2),
    );
    expect(await retryOnFailure(1, () => Promise.resolve(7))).toEqual(ok(7));
  });

  it('retries the same work until it settles, waiting each back-off in turn', async () => {
    const waited: number[] = [];
    const retried: number[] = [];
    const script: StepOutcome<string>[] = [retry('a', 1), retry('b', 2), ok('done')];
    const outcome = await untilSettled((attempt) => Promise.resolve(script[attempt - 1]!), {
      sleep: (ms) => {
        waited.push(ms);
        return Promise.resolve();
      },
      onRetry: (r) => retried.push(r.attempt),
    });
    expect(outcome).toEqual(ok('done'));
    expect(waited).toEqual([1_000, 2_000]);
    expect(retried).toEqual([1, 2]);
  });

  it('hands a dead letter back at once: it will never succeed, so it is not retried', async () => {
    let calls = 0;
    const outcome = await untilSettled(() => {
      calls++;
      return Promise.resolve(dlq<number>('not JSON'));
    });
    expect(outcome).toEqual({ kind: 'dlq', reason: 'not JSON' });
    expect(calls).toBe(1);
  });

  it('gives up when cancelled, naming the last failure, instead of retrying forever', async () => {
    let stopping = false;
    const attempt = untilSettled(() => Promise.resolve(retry<number>('ClickHouse down', 1)), {
      sleep: () => {
        stopping = true;
        return Promise.resolve();
      },
      cancelled: () => stopping,
    });
    await expect(attempt).rejects.toThrow(StepCancelledError);
    await expect(attempt).rejects.toThrow(/ClickHouse down/);
  });
});
