/**
 * Commands on one lead run one after another in this process; commands on different leads run
 * in parallel. Queueing same-lead commands means they no longer race to the same expected
 * revision and lose (a conflict each, retried or answered 409), and it lets the state cache fold
 * each lead once per command. Each lead's queue is bounded: beyond `maxPendingPerLead` waiting
 * or running commands, a new one is refused at once with LeadBusyError (429 with Retry-After at
 * the edge), so one hot lead holds at most that many requests and cannot stall the others.
 * 429 rather than 503: the server is healthy, this one lead is asked too much, and clients and
 * proxies already retry 429 + Retry-After without marking the instance down.
 * It must never run two commands of one lead at once, nor keep an entry for an idle lead.
 */

/** A few commands' worth of waiting (each takes a few ms); more is a client hammering one lead. */
export const DEFAULT_MAX_PENDING_PER_LEAD = 16;

export class LeadBusyError extends Error {
  readonly code = 'lead_busy';
  constructor(
    readonly leadId: string,
    readonly pending: number,
    readonly retryAfterSeconds: number,
  ) {
    super(
      `lead ${leadId} has ${pending} commands in progress or waiting; retry after ${retryAfterSeconds} s`,
    );
  }
}

interface LeadLane {
  /** Settles when the last command queued so far has finished (either way). */
  tail: Promise<void>;
  pending: number;
}

export class LeadCommandQueue {
  private readonly lanes = new Map<string, LeadLane>();

  constructor(private readonly maxPendingPerLead = DEFAULT_MAX_PENDING_PER_LEAD) {
    if (!Number.isInteger(maxPendingPerLead) || maxPendingPerLead < 1) {
      throw new RangeError(
        `maxPendingPerLead must be a positive integer, got ${maxPendingPerLead}`,
      );
    }
  }

  /** Commands queued or running for `leadId` (0 when idle). */
  pending(leadId: string): number {
    return this.lanes.get(leadId)?.pending ?? 0;
  }

  run<T>(leadId: string, work: () => Promise<T>): Promise<T> {
    let lane = this.lanes.get(leadId);
    if (lane === undefined) {
      lane = { tail: Promise.resolve(), pending: 0 };
      this.lanes.set(leadId, lane);
    }
    if (lane.pending >= this.maxPendingPerLead) {
      return Promise.reject(new LeadBusyError(leadId, lane.pending, 1));
    }
    lane.pending += 1;
    const current = lane;
    const result = current.tail.then(work);
    current.tail = result.then(
      () => this.finished(leadId, current),
      () => this.finished(leadId, current),
    );
    return result;
  }

  private finished(leadId: string, lane: LeadLane): void {
    lane.pending -= 1;
    if (lane.pending === 0 && this.lanes.get(leadId) === lane) this.lanes.delete(leadId);
  }
}
