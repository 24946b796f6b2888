/**
 * Group commit for the PostgreSQL/PGlite store's appends (ADR 0013). Concurrent appends to
 * different streams wait while earlier ones are in flight and then go together, in one
 * statement and one transaction (`append_events_group`), instead of one round trip and one
 * commit each; each caller still gets its own outcome: a wrong expected revision or a
 * recorded event id fails that append alone, the others land. An append that finds a free
 * slot is sent at the end of the current turn of the event loop (setImmediate), so the appends
 * of every request read in that turn go in one group, and an idle store waits for nothing else.
 * A group names each stream once: a second append to a stream already in the group waits for
 * the next one, and then queues on the stream's lock like any concurrent append. When the
 * server refuses a group statement as a whole (a conflict only the insert finds), its appends
 * are sent again one by one, so the refusal reaches only the caller it belongs to.
 * It must never put two appends of one stream in a group, nor settle a caller with another
 * caller's outcome.
 */
import type { AppendResult } from '../event-store.port';
import type { NewLeadKey } from '../personal-data/lead-key-append.port';

/** One validated append, as the store's SQL takes it. */
export interface PendingAppend {
  readonly streamId: string;
  /** The expected revision's text form (formatExpectedRevision). */
  readonly expected: string;
  /** The events as the JSON array text the SQL takes. */
  readonly events: string;
  /** A new data key the events are sealed under, recorded with them (ADR 0009). */
  readonly key?: NewLeadKey;
}

export type AppendOutcome =
  | { readonly ok: true; readonly result: AppendResult }
  | { readonly ok: false; readonly error: unknown };

export interface AppendSender {
  /** One append on its own; rejects with the port's typed errors. */
  one(append: PendingAppend): Promise<AppendResult>;
  /**
   * Appends to distinct streams in one statement: one outcome each, in order; `null` when the
   * server refused the statement as a whole (nothing was written). Rejects with an error that
   * holds for every append of the group (the connection failed).
   */
  group(appends: readonly PendingAppend[]): Promise<AppendOutcome[] | null>;
}

export interface GroupCommitOptions {
  /** Groups in flight at once (each holds a connection while it runs). */
  readonly maxInFlight: number;
  /** Most appends in one group. */
  readonly maxGroup: number;
}

interface Waiting extends PendingAppend {
  readonly resolve: (result: AppendResult) => void;
  readonly reject: (error: unknown) => void;
}

export class AppendGroupCommit {
  private waiting: Waiting[] = [];
  private inFlight = 0;
  private dispatchScheduled = false;

  constructor(
    private readonly sender: AppendSender,
    private readonly options: GroupCommitOptions,
  ) {
    for (const [name, value] of Object.entries(options)) {
      if (!Number.isInteger(value) || (value as number) < 1) {
        throw new RangeError(`${name} must be a positive integer, got ${String(value)}`);
      }
    }
  }

  /** Appends waiting for a slot (not those in flight). */
  get queued(): number {
    return this.waiting.length;
  }

  append(append: PendingAppend): Promise<AppendResult> {
    const settled = new Promise<AppendResult>((resolve, reject) => {
      this.waiting.push({ ...append, resolve, reject });
    });
    this.dispatchAfterThisTurn();
    return settled;
  }

  /**
   * A busy API reads several requests in one turn of the event loop (one poll of its
   * sockets), and each reaches its append without waiting for I/O: dispatching once that turn
   * is over sends them as one statement instead of the first one or two alone (measured in
   * docs/performance.md, 2026-11-30).
   */
  private dispatchAfterThisTurn(): void {
    if (this.dispatchScheduled) return;
    this.dispatchScheduled = true;
    setImmediate(() => {
      this.dispatchScheduled = false;
      this.dispatch();
    });
  }

  private dispatch(): void {
    while (this.inFlight < this.options.maxInFlight && this.waiting.length > 0) {
      const group = this.takeGroup();
      this.inFlight += 1;
      void this.send(group).finally(() => {
        this.inFlight -= 1;
        this.dispatch();
      });
    }
  }

  /** The oldest waiting appends, one per stream, at most maxGroup; the rest keep their order. */
  private takeGroup(): Waiting[] {
    const group: Waiting[] = [];
    const streams = new Set<string>();
    const rest: Waiting[] = [];
    for (const append of this.waiting) {
      if (group.length < this.options.maxGroup && !streams.has(append.streamId)) {
        group.push(append);
        streams.add(append.streamId);
      } else {
        rest.push(append);
      }
    }
    this.waiting = rest;
    return group;
  }

  private async send(group: readonly Waiting[]): Promise<void> {
    if (group.length === 1) {
      await this.sendAlone(group[0] as Waiting);
      return;
    }
    let outcomes: AppendOutcome[] | null;
    try {
      outcomes = await this.sender.group(group);
    } catch (error) {
      for (const append of group) append.reject(error);
      return;
    }
    if (outcomes === null) {
      await Promise.all(group.map((append) => this.sendAlone(append)));
      return;
    }
    if (outcomes.length !== group.length) {
      const error = new Error(`group append: ${outcomes.length} outcomes for ${group.length}`);
      for (const append of group) append.reject(error);
      return;
    }
    group.forEach((append, i) => {
      const outcome = outcomes[i] as AppendOutcome;
      if (outcome.ok) append.resolve(outcome.result);
      else append.reject(outcome.error);
    });
  }

  private sendAlone(append: Waiting): Promise<void> {
    return this.sender.one(append).then(append.resolve, append.reject);
  }
}
