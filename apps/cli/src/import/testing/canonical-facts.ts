/**
 * Canonical facts for the import specs, as objects (to send through the API too) and as the
 * lines of a file; and runs killed after their n-th block and resumed, as the kill-and-resume
 * specs stop and start them.
 * Test code only.
 */
import type { EventStore } from '@tandem/event-store';
import type { ImportOutcome, ImportProgress } from '../import-runner';

export interface CanonicalFact {
  readonly leadId: string;
  readonly type: 'CaptureLead' | 'RecordTouchpoint' | 'MergeLead';
  readonly occurredAt: string;
  readonly data: Record<string, unknown>;
}

/** 2025-01-<day> at <hour>:00 UTC. */
export const onDay = (day: number, hour = 10): string =>
  `2025-01-${String(day).padStart(2, '0')}T${String(hour).padStart(2, '0')}:00:00.000Z`;

export const captureFact = (leadId: string, occurredAt: string, name = 'Ada'): CanonicalFact => ({
  leadId,
  type: 'CaptureLead',
  occurredAt,
  data: {
    contact: { name, email: `${leadId.replace(':', '.')}@example.com` },
    company: { name: 'Acme' },
    source: { channel: 'organic' },
    productInterest: null,
    timeframe: null,
    consent: { marketing: false },
  },
});

export const touchFact = (
  leadId: string,
  touchpointId: string,
  occurredAt: string,
): CanonicalFact => ({
  leadId,
  type: 'RecordTouchpoint',
  occurredAt,
  data: { touchpointId, kind: 'webinar', channel: 'web', campaign: null, content: null },
});

export const mergeFact = (
  leadId: string,
  intoLeadId: string,
  occurredAt: string,
): CanonicalFact => ({
  leadId,
  type: 'MergeLead',
  occurredAt,
  data: { intoLeadId },
});

export const linesOf = (facts: readonly CanonicalFact[]): string[] =>
  facts.map((fact) => JSON.stringify(fact));

/**
 * Runs `run` with a progress callback that throws after the `killAfter`-th block, as a SIGKILL
 * would stop the run there (its checkpoint saved): the thrown error, or the outcome of a run
 * that had fewer blocks.
 */
export async function importKilledAfter(
  killAfter: number,
  run: (onProgress: (progress: ImportProgress) => void) => Promise<ImportOutcome>,
): Promise<{ readonly killed: boolean }> {
  const killed = new Error(`killed after block ${killAfter}`);
  let written = 0;
  const first = await run(() => {
    written += 1;
    if (written === killAfter) throw killed;
  }).catch((error: unknown) => error);
  if (first instanceof Error && first !== killed) throw first;
  return { killed: first === killed };
}

export interface KilledRuns {
  /** After which block each run is killed; a run with fewer blocks is not compared. */
  readonly killPoints: readonly number[];
  /** A store as the uninterrupted run found it. */
  readonly openStore: () => Promise<EventStore>;
  readonly run: (
    store: EventStore,
    onProgress?: (progress: ImportProgress) => void,
  ) => Promise<ImportOutcome>;
  /** What is compared of a store's streams, and of a run's refusals (in a stable order). */
  readonly streams: (store: EventStore) => Promise<unknown>;
  readonly refusals: (outcome: ImportOutcome) => unknown;
  /** The uninterrupted run's outcome and store. */
  readonly whole: { readonly outcome: ImportOutcome; readonly store: EventStore };
}

/**
 * Each run killed after a block and started again ends with the uninterrupted run's refusals
 * and streams; run once more, finished, it names every refusal still and adds nothing.
 */
export async function expectKilledRunsResumeAsWhole(runs: KilledRuns): Promise<void> {
  const { run, streams, refusals, whole } = runs;
  for (const killAfter of runs.killPoints) {
    const store = await runs.openStore();
    const { killed } = await importKilledAfter(killAfter, (onProgress) => run(store, onProgress));
    if (!killed) continue; // fewer blocks than that: the run ended
    const rest = await run(store);
    expect({ killAfter, refused: refusals(rest) }).toEqual({
      killAfter,
      refused: refusals(whole.outcome),
    });
    expect(await streams(store)).toEqual(await streams(whole.store));
    const head = await store.headPosition();
    const again = await run(store);
    expect({ killAfter, refused: refusals(again), events: again.importedEvents }).toEqual({
      killAfter,
      refused: refusals(whole.outcome),
      events: 0,
    });
    expect(await store.headPosition()).toBe(head);
  }
}
