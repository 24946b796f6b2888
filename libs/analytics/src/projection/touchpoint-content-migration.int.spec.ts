import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { useEmbeddedAnalytics } from '../testing/embedded-analytics.fixture';
import { resolveSqlDirectory } from '../clickhouse/sql-directory';
import { renderMigrationSql } from '../clickhouse/analytics.migrations';

// Rows projected before touchpoint content stopped being copied (ADR 0009) lose it in place,
// ending exactly as the projector writes them now; other events are untouched.
describe('migration 0015: touchpoint content leaves lead_events', () => {
  const analytics = useEmbeddedAnalytics('tp-content');

  it('cuts content (plain, escaped or null) and nothing else', async () => {
    const database = await analytics.freshDatabase();
    const client = analytics.client();
    const row = (id: number, type: string, data: string) => ({
      event_id: `00000000-0000-7000-8000-00000000000${id}`,
      type,
      schema_version: 1,
      lead_id: 'lead-1',
      account_id: null,
      stream_id: 'lead-lead-1',
      stream_revision: id,
      global_position: String(id + 1),
      occurred_at: '2026-01-01 00:00:00.000',
      recorded_at: '2026-01-01 00:00:00.000',
      correlation_id: 'c',
      causation_id: null,
      actor_kind: 'user',
      actor_id: 'u',
      actor_role: 'marketing',
      data,
    });
    const base = '{"touchpointId":"t","kind":"webinar","channel":"web","campaign":null';
    await client.insert({
      table: `${database}.lead_events`,
      format: 'JSONEachRow',
      values: [
        row(1, 'TouchpointRecorded', `${base},"content":"mail \\"ada\\" at ada@x.example"}`),
        row(2, 'TouchpointRecorded', `${base},"content":null}`),
        row(3, 'TouchpointRecorded', `${base}}`),
        row(4, 'LeadRecycled', '{"from":"x","content":"kept"}'),
      ],
    });
    const sql = await readFile(
      join(resolveSqlDirectory(), 'migrations', '0015_drop_touchpoint_content.sql'),
      'utf8',
    );
    await client.command({ query: renderMigrationSql(sql, database) });
    const result = await client.query({
      query: `SELECT data FROM ${database}.lead_events FINAL ORDER BY stream_revision`,
      format: 'JSONEachRow',
    });
    const rows = await result.json<{ data: string }>();
    expect(rows.map((r) => r.data)).toEqual([
      `${base}}`,
      `${base}}`,
      `${base}}`,
      '{"from":"x","content":"kept"}',
    ]);
  });
});
