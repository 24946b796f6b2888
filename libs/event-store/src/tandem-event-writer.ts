/**
 * The one place a Tandem write turns decided events into stored envelopes and appends
 * them: a fresh event id each (UUID v7: time-ordered), the write's context (who, why,
 * when, which lead and account) copied into every envelope, one append with the
 * expected revision the decision was made from. The API's handlers and `tandem import`
 * write through here, so an envelope field added once (a trace context, say) reaches
 * every event. It never decides anything: the deciders in libs/domain do.
 */
import { encodeForStore, type StoredMetadata, type TandemEvent } from '@tandem/contracts';
import { v7 as uuidv7 } from 'uuid';
import type {
  AppendResult,
  EventStore,
  EventToAppend,
  ExpectedRevision,
  StreamCondition,
} from './event-store.port';

/** Everything an envelope carries besides the event itself and its id. */
export type WriteContext = StoredMetadata;

/** Stored envelopes for `events`, all under one context; ids minted unless given. */
export function envelopesFor(
  events: readonly TandemEvent[],
  context: WriteContext,
  newEventId: () => string = uuidv7,
): EventToAppend[] {
  return events.map((event) => encodeForStore(event, { eventId: newEventId(), ...context }));
}

export interface WriteOutcome {
  readonly appended: AppendResult;
  readonly envelopes: readonly EventToAppend[];
}

/**
 * Appends `events` to one stream as one atomic write under `expectedRevision`, and under
 * `conditions` on the other streams the decision read (a merge's survivor, ADR 0015).
 * `newEventId` mints the events' ids (the API derives them from an Idempotency-Key).
 */
export async function writeEvents(
  store: EventStore,
  streamId: string,
  events: readonly TandemEvent[],
  context: WriteContext,
  expectedRevision: ExpectedRevision,
  conditions: readonly StreamCondition[] = [],
  newEventId: () => string = uuidv7,
): Promise<WriteOutcome> {
  const envelopes = envelopesFor(events, context, newEventId);
  const appended = await store.append(
    streamId,
    envelopes,
    conditions.length === 0 ? { expectedRevision } : { expectedRevision, conditions },
  );
  return { appended, envelopes };
}
