/**
 * What a projector's pipeline step says happened, instead of throwing: `ok` (go on with the
 * value), `retry` (a transient failure — ClickHouse down, a full disk — try the same work again
 * after `delayMs`), or `dlq` (this event will never project — undecodable, or breaking the
 * projection's contract — set it aside with its reason and move on).
 *
 * Why outcomes and not exceptions: the two projectors (embedded, Kafka) must treat the same
 * failure the same way, and whether to retry or to set aside is a decision of the step that
 * knows, not of a catch block three calls up. A thrown error is still possible for bugs; only
 * `retryOnFailure` turns one into an outcome, at the ClickHouse write, where it is transient.
 *
 * It must never turn a `retry` into a skip: the caller retries the same work, and a checkpoint
 * (or a Kafka offset) never moves past an event that was neither projected nor dead-lettered.
 */

export type StepOutcome<T> =
  | { readonly kind: 'ok'; readonly value: T }
  | {
      readonly kind: 'retry';
      readonly reason: string;
      /** 1 for the first failure of this work, 2 for the second … */
      readonly attempt: number;
      readonly delayMs: number;
    }
  | { readonly kind: 'dlq'; readonly reason: string };

export const ok = <T>(value: T): StepOutcome<T> => ({ kind: 'ok', value });

export const dlq = <T = never>(reason: string): StepOutcome<T> => ({ kind: 'dlq', reason });

export const retry = <T = never>(reason: string, attempt: number): StepOutcome<T> => ({
  kind: 'retry',
  reason,
  attempt,
  delayMs: backOffMs(attempt),
});

/** First retry after 1 s, then 2 s, 4 s … at most 30 s: ClickHouse gets time to come back. */
export const BACK_OFF_BASE_MS = 1_000;
export const BACK_OFF_MAX_MS = 30_000;

export function backOffMs(attempt: number): number {
  const exponent = Math.max(0, Math.floor(attempt) - 1);
  return Math.min(BACK_OFF_MAX_MS, BACK_OFF_BASE_MS * 2 ** Math.min(exponent, 16));
}

const message = (error: unknown) => (error instanceof Error ? error.message : String(error));

/**
 * Runs a write whose failure is transient (every projection write is idempotent, so doing it
 * again is harmless) and says so as an outcome.
 */
export async function retryOnFailure<T>(
  attempt: number,
  write: () => Promise<T>,
): Promise<StepOutcome<T>> {
  try {
    return ok(await write());
  } catch (error) {
    return retry(message(error), attempt);
  }
}

export interface RetryLoopOptions {
  /** Waits between attempts; tests pass one that does not sleep. */
  readonly sleep?: (ms: number) => Promise<void>;
  /** Checked before each attempt: a stopping projector gives up instead of retrying forever. */
  readonly cancelled?: () => boolean;
  /** Told of every `retry`, before the wait (for /health and the logs). */
  readonly onRetry?: (outcome: Extract<StepOutcome<unknown>, { kind: 'retry' }>) => void;
}

export class StepCancelledError extends Error {
  constructor(readonly lastReason: string | null) {
    super(`projection step cancelled${lastReason === null ? '' : ` after: ${lastReason}`}`);
    this.name = 'StepCancelledError';
  }
}

const defaultSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * Runs `step` until it says something other than `retry`, waiting each outcome's back-off in
 * between. Throws StepCancelledError when cancelled (shutdown, rebuild), so the caller's
 * checkpoint stays where it was.
 */
export async function untilSettled<T>(
  step: (attempt: number) => Promise<StepOutcome<T>>,
  options: RetryLoopOptions = {},
): Promise<Exclude<StepOutcome<T>, { kind: 'retry' }>> {
  const sleep = options.sleep ?? defaultSleep;
  let last: string | null = null;
  for (let attempt = 1; ; attempt++) {
    if (options.cancelled?.() === true) throw new StepCancelledError(last);
    const outcome = await step(attempt);
    if (outcome.kind !== 'retry') return outcome;
    last = outcome.reason;
    options.onRetry?.(outcome);
    await sleep(outcome.delayMs);
  }
}
