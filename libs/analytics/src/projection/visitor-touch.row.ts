/**
 * Maps AnonymousTouchpointRecorded (a touch before capture, ADR 0012) to its `visitor_touches`
 * row. Pure, like toLeadEventRow: the same envelope always gives the same row, byte for byte.
 * Every other event is `skip`; an envelope that breaks the contract is `invalid` with a reason,
 * for the caller to dead-letter. The event carries nothing personal, so the row is all of it.
 */
import { VISITOR_ID_PATTERN } from '@tandem/domain';
import { toClickHouseDateTime } from '../clickhouse/clickhouse-datetime';
import { isValidGlobalPosition, type AnyEnvelope } from './lead-event.row';

/** One row of `visitor_touches`, in the JSONEachRow shape ClickHouse reads. */
export interface VisitorTouchRow {
  readonly event_id: string;
  readonly visitor_id: string;
  readonly touchpoint_id: string;
  readonly kind: string;
  readonly channel: string;
  /** '' for a touch without a campaign, as everywhere in analytics. */
  readonly campaign: string;
  readonly occurred_at: string;
  readonly global_position: string;
  readonly recorded_at: string;
}

export type VisitorTouchOutcome =
  | { readonly kind: 'row'; readonly row: VisitorTouchRow }
  | { readonly kind: 'skip'; readonly eventId: string; readonly reason: string }
  | { readonly kind: 'invalid'; readonly eventId: string; readonly reason: string };

const uuidPattern = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function toVisitorTouchRow(envelope: AnyEnvelope): VisitorTouchOutcome {
  const { eventId } = envelope;
  if (envelope.type !== 'AnonymousTouchpointRecorded') {
    return { kind: 'skip', eventId, reason: `${envelope.type} is not a visitor touch` };
  }
  const invalid = (reason: string): VisitorTouchOutcome => ({ kind: 'invalid', eventId, reason });
  if (!uuidPattern.test(eventId)) return invalid('eventId is not a UUID');
  if (!isValidGlobalPosition(envelope.globalPosition)) {
    return invalid('globalPosition is not a UInt64 decimal string');
  }
  const occurredAt = toClickHouseDateTime(envelope.occurredAt);
  if (occurredAt === null) return invalid('occurredAt is not an ISO-8601 UTC-offset timestamp');
  const recordedAt = toClickHouseDateTime(envelope.recordedAt);
  if (recordedAt === null) return invalid('recordedAt is not an ISO-8601 UTC-offset timestamp');
  const { visitorId, touchpointId, kind, channel, campaign } = envelope.data;
  // The stream names the visitor: a touch filed under another visitor's stream would be
  // stitched to the wrong lead.
  if (!VISITOR_ID_PATTERN.test(visitorId) || envelope.streamId !== `visitor-${visitorId}`) {
    return invalid('visitorId is malformed or does not name the event stream');
  }
  return {
    kind: 'row',
    row: {
      event_id: eventId.toLowerCase(),
      visitor_id: visitorId,
      touchpoint_id: touchpointId,
      kind,
      channel,
      campaign: campaign ?? '',
      occurred_at: occurredAt,
      global_position: envelope.globalPosition,
      recorded_at: recordedAt,
    },
  };
}
