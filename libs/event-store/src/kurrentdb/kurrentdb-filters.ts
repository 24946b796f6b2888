/**
 * What of a KurrentDB database is part of the port's world, in one place: the
 * server-side filter every $all read and subscription uses, its client-side mirror,
 * the names reserved for Tandem's own bookkeeping (checkpoint streams and their event
 * type), and the append-time check that keeps user events out of those names.
 *
 * A $all request takes one filter, on event type *or* on stream name, so both kinds
 * of hidden events are caught by event type: system events have `$`-types (links
 * `$>`, `$metadata`, `$streamDeleted`, stats …, what the client's
 * `excludeSystemEvents()` drops), and checkpoint events have the reserved type
 * `tandem.checkpoint` inside `tandem-checkpoint-<name>` streams.
 * It must never let an event be appended that the filter would then hide: such an
 * event would be stored but never reach the relay or the projector.
 */
import { eventTypeFilter, type RegexFilter } from '@kurrent/kurrentdb-client';
import { InvalidAppendError } from '../event-store.errors';
import type { EventToAppend } from '../event-store.port';

/** Stream of the checkpoint `<name>`: no `$`, so it is an ordinary (non-system) stream. */
export const CHECKPOINT_STREAM_PREFIX = 'tandem-checkpoint-';
/** Event types with this prefix are Tandem's bookkeeping, never domain events. */
export const RESERVED_EVENT_TYPE_PREFIX = 'tandem.';
export const CHECKPOINT_EVENT_TYPE = `${RESERVED_EVENT_TYPE_PREFIX}checkpoint`;

/**
 * Event types that reach $all readers: not `$`-prefixed (system) and not
 * `tandem.`-prefixed (bookkeeping). The server matches it with .NET's
 * `Regex.Match(type).Success` (a search, hence the `^`); the syntax used here means the
 * same in .NET and in JavaScript, which is what the unit spec checks it with.
 */
export const DELIVERABLE_EVENT_TYPE_REGEX = '^(?![$]|tandem[.])';

export function deliverableEventsFilter(): RegexFilter {
  return eventTypeFilter({ regex: DELIVERABLE_EVENT_TYPE_REGEX });
}

/** LeadMerged events only: the $all read of readMergesInto (a type, so deliverable). */
export function leadMergedFilter(): RegexFilter {
  return eventTypeFilter({ regex: '^LeadMerged$' });
}

export function checkpointStreamName(name: string): string {
  return `${CHECKPOINT_STREAM_PREFIX}${name}`;
}

/**
 * Client-side mirror of the server filter, plus the stream-name half it cannot
 * express: used to drop anything that slipped through and to answer reads of
 * system or checkpoint streams with "no such stream".
 */
export function isDeliverable(streamId: string, eventType: string): boolean {
  return isDeliverableEventType(eventType) && !isHiddenStream(streamId);
}

export function isDeliverableEventType(eventType: string): boolean {
  return !eventType.startsWith('$') && !eventType.startsWith(RESERVED_EVENT_TYPE_PREFIX);
}

/** System streams (`$…`, including `$$` metadata streams) and checkpoint streams. */
export function isHiddenStream(streamId: string): boolean {
  return streamId.startsWith('$') || streamId.startsWith(CHECKPOINT_STREAM_PREFIX);
}

/** KurrentDB-specific part of append validation (the shared part is `validateAppend`). */
export function refuseHiddenNames(streamId: string, events: readonly EventToAppend[]): void {
  if (streamId.startsWith(CHECKPOINT_STREAM_PREFIX)) {
    throw new InvalidAppendError(
      `stream id ${streamId}: names starting with ${CHECKPOINT_STREAM_PREFIX} hold checkpoints`,
    );
  }
  events.forEach((event, index) => {
    if (!isDeliverableEventType(event.type)) {
      throw new InvalidAppendError(
        `append to ${streamId}, event #${index}: type ${event.type} is reserved ` +
          `(types starting with $ or ${RESERVED_EVENT_TYPE_PREFIX} are hidden from $all readers)`,
      );
    }
  });
}
