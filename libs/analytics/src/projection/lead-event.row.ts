/**
 * Maps one recorded event to its `lead_events` row: a pure function, so the same envelope
 * always yields the same row, byte for byte, and every mapping has a given/then spec.
 *
 * PII: analytics keeps pseudonymous ids only. The payload is copied through an allow-list per
 * event type (not a deny-list), so a field added to an event later stays out until someone
 * decides it belongs here. Never copied: LeadCaptured's `contact`, company name (a sole
 * trader's company name names a person; account_id is the pseudonymous grouping key) and UTM
 * content (mail tools put the recipient's address there), and
 * free text typed by people (notes, touchpoint content, recycle and erasure reasons), which can
 * contain anything — see personalFields in libs/domain. Presence flags only where rules need them.
 * Reason *codes* from the shared lists (rejection, loss) are kept.
 *
 * Outcomes instead of exceptions: a planning event (or an event type this version does not
 * know) is `skip`, an envelope that breaks the contract is `invalid` with a reason, so the
 * caller decides (dead-letter, alert) and one bad event cannot wedge a batch.
 */
import {
  isPersonalGiven,
  leadEventTypes,
  type Envelope,
  type LeadEvent,
  type LeadEventType,
  type PlanningEvent,
  type VisitorEvent,
} from '@tandem/domain';
import { toClickHouseDateTime } from '../clickhouse/clickhouse-datetime';

/** One row of `lead_events`, in the JSONEachRow shape ClickHouse reads. */
export interface LeadEventRow {
  readonly event_id: string;
  readonly type: LeadEventType;
  readonly schema_version: number;
  readonly lead_id: string;
  readonly account_id: string | null;
  readonly stream_id: string;
  readonly stream_revision: number;
  /** Decimal string: a UInt64 does not fit a JS number. */
  readonly global_position: string;
  /** `YYYY-MM-DD hh:mm:ss.sss`, UTC. */
  readonly occurred_at: string;
  readonly recorded_at: string;
  readonly correlation_id: string;
  readonly causation_id: string | null;
  readonly actor_kind: string;
  readonly actor_id: string;
  readonly actor_role: string;
  /** The allow-listed payload as JSON text. */
  readonly data: string;
}

export type AnyEnvelope = Envelope<LeadEvent | PlanningEvent | VisitorEvent>;

export type LeadEventRowOutcome =
  | { readonly kind: 'row'; readonly row: LeadEventRow }
  | { readonly kind: 'skip'; readonly eventId: string; readonly reason: string }
  | { readonly kind: 'invalid'; readonly eventId: string; readonly reason: string };

const leadTypes: ReadonlySet<string> = new Set(leadEventTypes);
const uuidPattern = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const positionPattern = /^(0|[1-9]\d{0,19})$/;
const MAX_UINT64 = 2n ** 64n - 1n;
export function isValidGlobalPosition(position: string): boolean {
  return positionPattern.test(position) && BigInt(position) <= MAX_UINT64;
}

const orNull = <T>(value: T | undefined): T | null => value ?? null;

/** The payload analytics may keep, per event type; key order is fixed for byte-stable JSON. */
export function analyticsData(event: LeadEvent): Record<string, unknown> {
  switch (event.type) {
    case 'LeadCaptured': {
      const { contact, company, source, productInterest, timeframe, consent, visitorIds } =
        event.data;
      return {
        // Whether a name and an email were given (MQL required fields), never what they are:
        // rule replays need the presence, analytics must not hold the values.
        contactGiven: {
          name: isPersonalGiven(contact.name),
          email: isPersonalGiven(contact.email),
        },
        company: {
          industry: orNull(company.industry),
          size: orNull(company.size),
          country: orNull(company.country),
        },
        source: {
          channel: source.channel,
          campaign: orNull(source.campaign),
          medium: orNull(source.medium),
          // Not `content` (utm_content): mail tools put the recipient's address there (ADR 0009).
        },
        productInterest,
        timeframe,
        consent: { marketing: consent.marketing },
        // The visitors stitched to the lead (pseudonymous random ids, ADR 0012); the key only
        // when there are some, so captures recorded before it existed project as they did.
        ...(visitorIds === undefined ? {} : { visitorIds: [...visitorIds] }),
      };
    }
    case 'TouchpointRecorded': {
      // Not `content`: people type into it (a chat transcript, an e-mail body).
      const { touchpointId, kind, channel, campaign } = event.data;
      return { touchpointId, kind, channel, campaign };
    }
    case 'LeadProfiled': {
      const { industry, companySize, country, role, budget, timeline } = event.data;
      return {
        industry,
        companySize,
        country,
        role,
        budget: budget === null ? null : { amount: budget.amount, currency: budget.currency },
        timeline,
      };
    }
    case 'LeadQualifiedAsMql': {
      const { rulesVersion, fitScore, intentScore, score, threshold, reasons } = event.data;
      return { rulesVersion, fitScore, intentScore, score, threshold, reasons: [...reasons] };
    }
    case 'LeadHandedToSales': {
      const { owner, team, slaDueAt, rulesVersion } = event.data;
      // Always spelled out: a hand-off recorded before paths existed is the marketing path.
      const path = event.data.path ?? 'marketing';
      return {
        owner,
        team,
        slaDueAt,
        rulesVersion,
        path,
        salesSource: orNull(event.data.salesSource),
      };
    }
    case 'LeadAcceptedBySales':
      return { owner: event.data.owner };
    case 'LeadRejectedBySales':
      return { owner: event.data.owner, reason: event.data.reason };
    case 'LeadQualifiedAsSql':
      return { criteriaMet: [...event.data.criteriaMet], rulesVersion: event.data.rulesVersion };
    case 'OpportunityOpened': {
      const { opportunityId, stage, amount, currency } = event.data;
      return { opportunityId, stage, amount, currency };
    }
    case 'OpportunityStageChanged': {
      const { opportunityId, from, to, amount } = event.data;
      return { opportunityId, from, to, amount };
    }
    case 'DealWon': {
      const { opportunityId, amount, currency } = event.data;
      return { opportunityId, amount, currency };
    }
    case 'DealLost':
      return { opportunityId: event.data.opportunityId, reason: event.data.reason };
    case 'LeadRecycled':
      return { from: event.data.from };
    case 'LeadMerged':
      return { intoLeadId: event.data.intoLeadId };
    case 'DuplicateMergedIn':
      // Kept for analysts, read by no view: the touches count on the duplicate (ADR 0016).
      return { mergedLeadId: event.data.mergedLeadId, touchpoints: event.data.touchpoints.length };
    case 'LeadErased':
      return {};
  }
}

function isLeadEnvelope(envelope: AnyEnvelope): envelope is Envelope<LeadEvent> {
  return leadTypes.has(envelope.type);
}

/** The lead_events row for an envelope, or why there is none. */
export function toLeadEventRow(envelope: AnyEnvelope): LeadEventRowOutcome {
  const { eventId } = envelope;
  if (!isLeadEnvelope(envelope)) {
    return { kind: 'skip', eventId, reason: `${envelope.type} is not a lead event` };
  }
  const invalid = (reason: string): LeadEventRowOutcome => ({ kind: 'invalid', eventId, reason });
  if (!uuidPattern.test(eventId)) return invalid('eventId is not a UUID');
  if (envelope.leadId === null || envelope.leadId === '') return invalid('leadId is missing');
  if (!isValidGlobalPosition(envelope.globalPosition)) {
    return invalid('globalPosition is not a UInt64 decimal string');
  }
  if (!Number.isSafeInteger(envelope.streamRevision) || envelope.streamRevision < 0) {
    return invalid('streamRevision is not a non-negative integer');
  }
  const occurredAt = toClickHouseDateTime(envelope.occurredAt);
  if (occurredAt === null) return invalid('occurredAt is not an ISO-8601 UTC-offset timestamp');
  const recordedAt = toClickHouseDateTime(envelope.recordedAt);
  if (recordedAt === null) return invalid('recordedAt is not an ISO-8601 UTC-offset timestamp');

  return {
    kind: 'row',
    row: {
      event_id: eventId.toLowerCase(),
      type: envelope.type,
      schema_version: envelope.schemaVersion,
      lead_id: envelope.leadId,
      account_id: envelope.accountId,
      stream_id: envelope.streamId,
      stream_revision: envelope.streamRevision,
      global_position: envelope.globalPosition,
      occurred_at: occurredAt,
      recorded_at: recordedAt,
      correlation_id: envelope.correlationId,
      causation_id: envelope.causationId,
      actor_kind: envelope.actor.kind,
      actor_id: envelope.actor.id,
      actor_role: envelope.actor.role,
      data: JSON.stringify(analyticsData(envelope)),
    },
  };
}
