/**
 * The set-based projection SQL (lead-events-from-staging.sql) writes a hand-off's path exactly
 * as the TypeScript row does (ADR 0008): byte for byte the same lead_events.data for a
 * sales-sourced hand-off, a marketing one that names its path, and one recorded before paths
 * existed (read as marketing) — and takes all three on its fast path. On chDB, staging rows
 * inserted directly, so it needs no PostgreSQL (test/bulk-projection.int.spec.ts covers the
 * whole catch-up against one).
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { ClickHouseClient } from '@clickhouse/client';
import type { Envelope, LeadEvent, SalesEntryPath } from '@tandem/domain';
import { resolveSqlDirectory } from '../../clickhouse/sql-directory';
import { useEmbeddedAnalytics } from '../../testing/embedded-analytics.fixture';
import { toLeadEventRow } from '../lead-event.row';

const analytics = useEmbeddedAnalytics('sales-sourced-staging-int');
let client: ClickHouseClient;
beforeAll(() => {
  client = analytics.client();
});

const handed = (extra: { path?: SalesEntryPath; salesSource?: string }): LeadEvent => ({
  type: 'LeadHandedToSales',
  data: {
    owner: 'marco',
    team: null,
    slaDueAt: '2026-03-11T09:00:00.000Z',
    rulesVersion: 1,
    ...extra,
  },
});

const cases: readonly LeadEvent[] = [
  handed({ path: 'sales_sourced', salesSource: 'event_contact' }),
  handed({ path: 'marketing' }),
  handed({}),
];

const envelope = (event: LeadEvent, index: number): Envelope<LeadEvent> => ({
  ...event,
  eventId: `01940000-0000-7000-8000-00000000000${index + 1}`,
  schemaVersion: 1,
  leadId: `L${index + 1}`,
  accountId: null,
  streamId: `lead-L${index + 1}`,
  streamRevision: 1,
  globalPosition: String(index + 1),
  occurredAt: '2026-03-10T09:00:00.000Z',
  recordedAt: '2026-03-10T09:00:00.000Z',
  correlationId: `c-${index}`,
  causationId: null,
  actor: { kind: 'user', id: 'marco', role: 'sales' },
});

it('writes the same data for every hand-off path as the TypeScript row, on the fast path', async () => {
  const database = await analytics.freshDatabase();
  const envelopes = cases.map(envelope);
  await client.insert({
    table: `${database}.event_log_staging`,
    format: 'JSONEachRow',
    values: envelopes.map((e) => ({
      global_position: e.globalPosition,
      stream_id: e.streamId,
      stream_revision: e.streamRevision,
      event_id: e.eventId,
      event_type: e.type,
      schema_version: e.schemaVersion,
      data: JSON.stringify(e.data),
      metadata: JSON.stringify({
        leadId: e.leadId,
        accountId: e.accountId,
        occurredAt: e.occurredAt,
        correlationId: e.correlationId,
        causationId: e.causationId,
        actor: e.actor,
      }),
      recorded_at: '2026-03-10 09:00:00.000000',
    })),
  });
  const sql = await readFile(
    join(resolveSqlDirectory(), 'projection', 'lead-events-from-staging.sql'),
    'utf8',
  );
  await client.command({
    query: sql,
    query_params: {
      db: database,
      staging: 'event_log_staging',
      from: '1',
      to: String(envelopes.length),
    },
  });

  const written = await client.query({
    query: 'SELECT lead_id, data FROM {db:Identifier}.lead_events FINAL ORDER BY lead_id',
    query_params: { db: database },
    format: 'JSONEachRow',
  });
  const expected = envelopes.map((e) => {
    const outcome = toLeadEventRow(e);
    if (outcome.kind !== 'row') throw new Error(`not a row: ${JSON.stringify(outcome)}`);
    return { lead_id: outcome.row.lead_id, data: outcome.row.data };
  });
  // All three on the fast path (none left for the TypeScript fallback), byte for byte.
  expect(await written.json()).toEqual(expected);
  expect(expected.map((row) => JSON.parse(row.data) as unknown)).toEqual([
    expect.objectContaining({ path: 'sales_sourced', salesSource: 'event_contact' }),
    expect.objectContaining({ path: 'marketing', salesSource: null }),
    expect.objectContaining({ path: 'marketing', salesSource: null }),
  ]);
});
