/**
 * The answer to a retry whose first attempt appended and then died (process killed, store
 * unreachable) before its response was stored. The response is gone, but the events it
 * appended are recorded with the key, so the answer is rebuilt from them: the fields every
 * command response of this API is made of — `leadId` (lead streams), `revision`, `eventId`,
 * `globalPosition`, `events` — which is exactly the lead commands' and the planning facts'
 * response, and a subset of the definitions' (ADR 0007).
 */
import type { JsonObject, RecordedEvent } from '@tandem/event-store';

export function recoveredBody(events: readonly RecordedEvent[]): JsonObject {
  const first = events[0];
  const last = events.at(-1);
  if (first === undefined || last === undefined) {
    throw new Error('a recovered idempotent request has no events');
  }
  const leadId = first.metadata.leadId;
  return {
    ...(typeof leadId === 'string' ? { leadId } : {}),
    revision: Number(last.streamRevision),
    eventId: first.eventId,
    globalPosition: last.globalPosition.toString(),
    events: events.map(({ eventId, type }) => ({ eventId, type })),
  };
}
