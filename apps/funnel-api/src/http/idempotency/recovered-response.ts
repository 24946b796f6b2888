/**
 * The answer to a retry whose first attempt appended and then died (process killed, store
 * unreachable) before its response was stored. The response is gone, but the events it
 * appended are recorded with the key, so the answer is rebuilt from them, in the shape the
 * route answers (ADR 0007) — a client comparing a retry's body with the first one's, or
 * following a capture's `Location`, must not see a difference:
 * - a lead's command: `leadId`, `revision`, `events`, and a capture's `Location` (its timeline);
 * - a target or a campaign's spend: `eventId`, `revision`, `events`;
 * - a visitor's touchpoint: `eventId`;
 * - anything else (publishing, activating a definition): the fields those answers share with
 *   every command answer — `revision`, `eventId`, `globalPosition`, `events` — a subset of
 *   their richer body, only after a crash at that exact point.
 */
import { leadStreamId } from '@tandem/domain';
import type { JsonObject, RecordedEvent } from '@tandem/event-store';

export interface RecoveredResponse {
  readonly headers: Record<string, string>;
  readonly body: JsonObject;
}

const PLANNING_EVENTS: ReadonlySet<string> = new Set(['TargetSet', 'CampaignSpendRecorded']);

export function recoveredResponse(events: readonly RecordedEvent[]): RecoveredResponse {
  const first = events[0];
  const last = events.at(-1);
  if (first === undefined || last === undefined) {
    throw new Error('a recovered idempotent request has no events');
  }
  const revision = Number(last.streamRevision);
  const appended = events.map(({ eventId, type }) => ({ eventId, type }));
  const leadId = first.metadata.leadId;
  // A lead's command appends to that lead's stream, named as leadStreamId names it.
  if (typeof leadId === 'string' && first.streamId === leadStreamId(leadId)) {
    // leads.controller.ts sets the same header on a capture's first answer.
    const headers: Record<string, string> =
      first.type === 'LeadCaptured' ? { location: `/leads/${leadId}/timeline` } : {};
    return { headers, body: { leadId, revision, events: appended } };
  }
  if (events.every(({ type }) => PLANNING_EVENTS.has(type))) {
    return { headers: {}, body: { eventId: first.eventId, revision, events: appended } };
  }
  if (events.every(({ type }) => type === 'AnonymousTouchpointRecorded')) {
    return { headers: {}, body: { eventId: first.eventId } };
  }
  return {
    headers: {},
    body: {
      revision,
      eventId: first.eventId,
      globalPosition: last.globalPosition.toString(),
      events: appended,
    },
  };
}
