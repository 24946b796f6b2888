/**
 * Leads' folded state kept between commands, so a command on a lead with 10,000 events reads
 * and folds only what was appended since the last one (ADR 0002's store makes that read a short
 * index range). Two ways out:
 * - `load`: checked — asks the store for the events after the cached revision, so appends by
 *   other processes are never missed;
 * - `cached`: unchecked — the fold as this process last knew it, for a writer that appends at
 *   its revision and lets the store's expected-revision check refuse it if it is behind
 *   (ADR 0013); such a writer must never answer from it without that check.
 * After an append, the writer hands the fold with its own events back (`remember`).
 * Bounded: the least recently used lead is dropped beyond `maxLeads`.
 * It must never pass a fold off as checked that it has not just checked against the store.
 */
import { leadStreamId } from '@tandem/domain';
import type { EventStore } from '@tandem/event-store';
import { emptyLeadFold, foldLeadEvents, type LeadFold } from './lead.stream';

/** Enough for the leads a busy API touches within minutes; a fold is a few KB for most leads. */
export const DEFAULT_CACHED_LEADS = 10_000;

export class LeadStateCache {
  /** Map order is recency order: a hit moves the lead to the end, eviction takes the front. */
  private readonly folds = new Map<string, LeadFold>();

  constructor(
    private readonly store: EventStore,
    private readonly maxLeads = DEFAULT_CACHED_LEADS,
  ) {
    if (!Number.isInteger(maxLeads) || maxLeads < 1) {
      throw new RangeError(`maxLeads must be a positive integer, got ${maxLeads}`);
    }
  }

  get size(): number {
    return this.folds.size;
  }

  /**
   * The fold as this process last knew it, without asking the store: possibly behind it.
   * `undefined` for a lead not cached.
   */
  cached(leadId: string): LeadFold | undefined {
    const fold = this.folds.get(leadId);
    if (fold === undefined) return undefined;
    this.folds.delete(leadId);
    this.folds.set(leadId, fold);
    return fold;
  }

  /** The lead's state as of the store's latest revision. */
  async load(leadId: string): Promise<LeadFold> {
    const streamId = leadStreamId(leadId);
    const cached = this.folds.get(leadId);
    let fold: LeadFold;
    if (cached === undefined || cached.revision === null) {
      fold = foldLeadEvents(emptyLeadFold(), leadId, await this.store.readStream(streamId));
    } else {
      // From the cached revision itself: its event must still be there, with the same id.
      const recorded = await this.store.readStream(streamId, { fromRevision: cached.revision });
      const [first, ...after] = recorded;
      fold =
        first?.eventId === cached.lastEventId
          ? foldLeadEvents(cached, leadId, after)
          : // The stream is not the one cached (a store rebuilt under a running API): start over.
            foldLeadEvents(emptyLeadFold(), leadId, await this.store.readStream(streamId));
    }
    this.remember(leadId, fold);
    return fold;
  }

  /** Keeps `fold` (one just read, or one with this process's own append folded in). */
  remember(leadId: string, fold: LeadFold): void {
    if (fold.revision === null) return; // nothing worth keeping for a lead that does not exist
    const current = this.folds.get(leadId);
    // Two loads of one lead may overlap (another caller than the command queue): keep the newer.
    if (current?.revision != null && current.revision > fold.revision) return;
    this.folds.delete(leadId);
    this.folds.set(leadId, fold);
    if (this.folds.size > this.maxLeads) {
      const oldest = this.folds.keys().next();
      if (oldest.done !== true) this.folds.delete(oldest.value);
    }
  }
}
