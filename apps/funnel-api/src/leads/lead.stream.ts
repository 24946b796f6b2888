/**
 * Loading a lead: read its stream, decode, fold with the domain's evolve. Returns
 * the revision read, so the append that follows can insist nothing changed since.
 */
import { decodeStoredEvent, type LeadEnvelope } from '@tandem/contracts';
import {
  evolveLead,
  initialLeadState,
  leadEventTypes,
  leadStreamId,
  type LeadEvent,
  type LeadState,
} from '@tandem/domain';
import type { AppendResult, EventStore, EventToAppend, RecordedEvent } from '@tandem/event-store';

export interface LoadedLead {
  readonly state: LeadState;
  /** Revision of the last event, `null` when the stream does not exist. */
  readonly revision: bigint | null;
  readonly accountId: string | null;
  readonly envelopes: readonly LeadEnvelope[];
}

const isLeadEvent = (type: string): type is LeadEvent['type'] =>
  (leadEventTypes as readonly string[]).includes(type);

export async function loadLead(store: EventStore, leadId: string): Promise<LoadedLead> {
  const recorded = await store.readStream(leadStreamId(leadId));
  const envelopes: LeadEnvelope[] = [];
  const folded = foldLeadEvents(emptyLeadFold(), leadId, recorded, envelopes);
  return { ...folded, envelopes };
}

/** A lead's state folded up to a revision: what a command needs, without the envelopes. */
export interface LeadFold {
  readonly state: LeadState;
  /** Revision of the last event folded, `null` when the stream does not exist. */
  readonly revision: bigint | null;
  readonly accountId: string | null;
  /** Id of the last event folded, so a cache can tell its stream was not replaced. */
  readonly lastEventId: string | null;
}

export function emptyLeadFold(): LeadFold {
  return { state: initialLeadState(), revision: null, accountId: null, lastEventId: null };
}

/**
 * Folds `recorded` (the stream's events after `from`, in order) onto `from`. Pushes each lead
 * envelope to `envelopes` when given. Shared by the full load and the cached one, so both
 * decode and skip exactly alike.
 */
export function foldLeadEvents(
  from: LeadFold,
  leadId: string,
  recorded: readonly RecordedEvent[],
  envelopes?: LeadEnvelope[],
): LeadFold {
  let state = from.state;
  let accountId = from.accountId;
  for (const record of recorded) {
    const decoded = decodeStoredEvent(record);
    // A stored event that no longer decodes is corruption, not user error: fail loudly.
    if (!decoded.ok)
      throw new Error(`lead ${leadId}: undecodable event ${record.eventId}: ${decoded.reason}`);
    const envelope = decoded.envelope;
    if (!isLeadEvent(envelope.type)) continue;
    const leadEnvelope = envelope as LeadEnvelope;
    state = evolveLead(state, leadEnvelope, leadEnvelope.occurredAt);
    accountId = accountId ?? leadEnvelope.accountId;
    envelopes?.push(leadEnvelope);
  }
  const last = recorded.at(-1);
  return last === undefined
    ? from
    : { state, revision: last.streamRevision, accountId, lastEventId: last.eventId };
}

/**
 * Folds the events this process has just appended onto the fold they were decided from: the
 * fold a read of the stream would give, without the read. Revisions come from the append's
 * result; the fold reads no position nor record time, so each gets the append's last position
 * and the present time. The events are the envelopes as decided: personal values are plain
 * here and sealed in the store, which the state cannot tell apart (it keeps only whether a
 * value was given).
 */
export function foldAppended(
  from: LeadFold,
  leadId: string,
  appended: readonly EventToAppend[],
  result: AppendResult,
): LeadFold {
  const firstRevision = result.nextExpectedRevision - BigInt(appended.length) + 1n;
  const recordedAt = new Date();
  const recorded = appended.map((event, i): RecordedEvent => ({
    ...event,
    streamId: leadStreamId(leadId),
    streamRevision: firstRevision + BigInt(i),
    globalPosition: result.lastGlobalPosition,
    recordedAt,
  }));
  return foldLeadEvents(from, leadId, recorded);
}
