/**
 * Erases a lead in a store as the API does: erasure is never imported, it is a live ops
 * command, so the import specs that meet an erased lead append it this way. Test code only.
 */
import { decideLead, leadStreamId } from '@tandem/domain';
import { envelopesFor, type EventStore } from '@tandem/event-store';
import { definitionInForce } from '../definition-in-force';
import { readExistingLead } from '../existing-lead';

export async function eraseLead(store: EventStore, leadId: string): Promise<void> {
  const lead = await readExistingLead(store, leadId);
  const now = '2025-02-01T10:00:00.000Z';
  const erased = decideLead({ type: 'EraseLead', data: { reason: 'gdpr request' } }, lead.state, {
    leadId,
    definition: (await definitionInForce(store)).definition,
    now,
  });
  await store.append(
    leadStreamId(leadId),
    envelopesFor(erased, {
      leadId,
      accountId: null,
      occurredAt: now,
      correlationId: 'ops',
      causationId: null,
      actor: { kind: 'user', id: 'olga@example.com', role: 'ops' },
    }),
    { expectedRevision: lead.revision ?? 'no_stream' },
  );
}
