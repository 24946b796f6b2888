/**
 * A lead the store holds captured already — through the API, or by the import of another file —
 * that the file captures too. The Lead decider answers a second capture as the API answers a
 * retried one ("was already captured; nothing was recorded again"), which read in an import's
 * report as if the file were wrong. What happened is said as what it is: the lead was in the
 * store before, captured when, by whom (the actor of its LeadCaptured) and from which channel;
 * the file's facts for it are not applied (an import never writes a second capture, nor facts
 * decided on a capture it did not make). Only the actor, the time and the channel leave it:
 * nothing personal. Pure: no store, no clock.
 */
import { IMPORT_ACTOR_PREFIX, type ExistingLead } from './existing-lead';
import type { RowRef } from './import-fact';
import { importEventId } from './import-event-id';
import type { LeadFacts } from './lead-facts.decider';

/** The file's capture of a lead the store held captured before this import. */
export interface CapturedBeforeRow extends RowRef {
  readonly leadId: string;
  /** Business time of the capture the store holds. */
  readonly capturedAt: string;
  /** `service api-key:web-forms` (its actor), or `the import of january.csv`. */
  readonly capturedBy: string;
  readonly channel: string | null;
  /** The file's facts for the lead not in the store, none of them applied. */
  readonly facts: number;
}

/**
 * The file's capture of `lead`, from its `from`-th fact on (those before, importedFacts found
 * stored), when the store holds a capture of it that is not that one; `null` otherwise — an
 * erased lead included, whose refusal the decider says.
 */
export function capturedBefore(
  lead: LeadFacts,
  from: number,
  stored: Pick<ExistingLead, 'events'>,
): CapturedBeforeRow | null {
  const index = lead.facts.findIndex((fact, at) => at >= from && fact.type === 'CaptureLead');
  const capture = lead.facts[index];
  if (capture === undefined) return null;
  const own = importEventId(lead.leadId, index, 0, 'CaptureLead', Date.parse(capture.occurredAt));
  const held = stored.events.find((event) => event.type === 'LeadCaptured');
  if (held === undefined || held.eventId === own) return null;
  if (stored.events.some((event) => event.type === 'LeadErased')) return null;
  const { actor } = held;
  const source = (held.data as { readonly source?: { readonly channel?: unknown } }).source;
  return {
    ...capture.where,
    leadId: lead.leadId,
    capturedAt: held.occurredAt,
    capturedBy: actor.id.startsWith(IMPORT_ACTOR_PREFIX)
      ? `the import of ${actor.id.slice(IMPORT_ACTOR_PREFIX.length)}`
      : `${actor.kind} ${actor.id}`,
    channel: typeof source?.channel === 'string' ? source.channel : null,
    facts: lead.facts.length - from,
  };
}
