/**
 * Test support: a lead_events row as an older projector wrote it, inserted straight into the
 * table by migration specs (the rows a rewrite or a backfill must meet). Never used outside tests.
 */
export function oldLeadEventRow(
  id: number,
  type: string,
  data: string,
  overrides: {
    readonly leadId?: string;
    readonly accountId?: string | null;
    readonly occurredAt?: string;
  } = {},
) {
  const leadId = overrides.leadId ?? `lead-${id}`;
  return {
    event_id: `00000000-0000-7000-8000-${String(id).padStart(12, '0')}`,
    type,
    schema_version: 1,
    lead_id: leadId,
    account_id: overrides.accountId ?? null,
    stream_id: `lead-${leadId}`,
    stream_revision: id,
    global_position: String(id + 1),
    occurred_at: overrides.occurredAt ?? '2026-01-01 00:00:00.000',
    recorded_at: '2026-01-01 00:00:00.000',
    correlation_id: 'c',
    causation_id: null,
    actor_kind: 'user',
    actor_id: 'u',
    actor_role: 'marketing',
    data,
  };
}
