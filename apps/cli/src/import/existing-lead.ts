/**
 * A lead as the store already holds it, for the import's careful path: its state
 * folded with the domain's evolve (as the API folds it before a command), its
 * revision for the expected-revision check, and the ids of its events so an
 * earlier import of the same facts is recognised. Read-only.
 */
import { decodeStoredEvent, type LeadEnvelope } from '@tandem/contracts';
import {
  evolveLead,
  initialLeadState,
  leadEventTypes,
  leadStreamId,
  type LeadState,
} from '@tandem/domain';
import type { EventStore } from '@tandem/event-store';

export interface ExistingLead {
  readonly state: LeadState;
  /** Revision of the last event; `null` when the lead has no stream. */
  readonly revision: bigint | null;
  readonly accountId: string | null;
  readonly eventIds: ReadonlySet<string>;
  /** Its events an import appended (the actor is `tandem-import:<file>`), by business time. */
  readonly imported: readonly { readonly eventId: string; readonly at: number }[];
  /** Its lead events, decoded, in stream order; personal fields as stored (sealed). */
  readonly events: readonly LeadEnvelope[];
}

/** import.command.ts importActor: `tandem-import:<file name>`. */
export const IMPORT_ACTOR_PREFIX = 'tandem-import:';

const isLeadEventType = (type: string): boolean =>
  (leadEventTypes as readonly string[]).includes(type);

export async function readExistingLead(store: EventStore, leadId: string): Promise<ExistingLead> {
  const recorded = await store.readStream(leadStreamId(leadId));
  let state = initialLeadState();
  let accountId: string | null = null;
  const eventIds = new Set<string>();
  const imported: { eventId: string; at: number }[] = [];
  const events: LeadEnvelope[] = [];
  for (const record of recorded) {
    eventIds.add(record.eventId);
    const decoded = decodeStoredEvent(record);
    // A stored event that no longer decodes is corruption, not a bad row: stop loudly.
    if (!decoded.ok) {
      throw new Error(`lead ${leadId}: undecodable event ${record.eventId}: ${decoded.reason}`);
    }
    if (!isLeadEventType(decoded.envelope.type)) continue;
    const envelope = decoded.envelope as LeadEnvelope;
    events.push(envelope);
    // A survivor's record of a merge (DuplicateMergedIn) is another lead's fact, not one of its rows.
    if (
      envelope.actor.id.startsWith(IMPORT_ACTOR_PREFIX) &&
      envelope.type !== 'DuplicateMergedIn'
    ) {
      imported.push({ eventId: record.eventId, at: Date.parse(envelope.occurredAt) });
    }
    state = evolveLead(state, envelope, envelope.occurredAt);
    accountId = accountId ?? envelope.accountId;
  }
  const last = recorded.at(-1);
  return { state, revision: last?.streamRevision ?? null, accountId, eventIds, imported, events };
}
