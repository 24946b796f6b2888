import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { useEmbeddedAnalytics } from '../testing/embedded-analytics.fixture';
import { resolveSqlDirectory } from '../clickhouse/sql-directory';
import { renderMigrationSql } from '../clickhouse/analytics.migrations';
import { oldLeadEventRow } from '../testing/old-lead-event-rows.fixture';

// Rows projected before touchpoint content stopped being copied (ADR 0009) lose it in place,
// ending exactly as the projector writes them now; other events are untouched. The same for a
// capture's UTM content (0035-0037), and the copies lead_state folded from those rows.
const analytics = useEmbeddedAnalytics('tp-content');
const row = (id: number, type: string, data: string) => oldLeadEventRow(id, type, data);
const migrate = async (database: string, file: string) => {
  const sql = await readFile(join(resolveSqlDirectory(), 'migrations', file), 'utf8');
  await analytics.client().command({ query: renderMigrationSql(sql, database) });
};

describe('migration 0015: touchpoint content leaves lead_events', () => {
  it('cuts content (plain, escaped or null) and nothing else', async () => {
    const database = await analytics.freshDatabase();
    const client = analytics.client();
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
    await migrate(database, '0015_drop_touchpoint_content.sql');
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

describe('migrations 0035-0036: a capture’s UTM content leaves lead_events and lead_state', () => {
  it('cuts source.content (plain, escaped or null) and nothing else', async () => {
    const database = await analytics.freshDatabase();
    const client = analytics.client();
    const capture = (content: string) =>
      '{"contactGiven":{"name":true,"email":true},' +
      '"company":{"industry":null,"size":null,"country":null},' +
      `"source":{"channel":"email","campaign":"spring","medium":"newsletter"${content}},` +
      '"productInterest":null,"timeframe":null,"consent":{"marketing":true}}';
    await client.insert({
      table: `${database}.lead_events`,
      format: 'JSONEachRow',
      values: [
        row(1, 'LeadCaptured', capture(',"content":"to \\"ada\\" ada@x.example"')),
        row(2, 'LeadCaptured', capture(',"content":null')),
        row(3, 'LeadCaptured', capture('')),
        row(4, 'LeadRecycled', '{"x":{"content":"kept"},"productInterest":null}'),
      ],
    });
    const leadState = async () =>
      (
        await (
          await client.query({
            query: `SELECT lead_id, source.5 AS content FROM ${database}.lead_state FINAL ORDER BY lead_id`,
            format: 'JSONEachRow',
          })
        ).json<{ lead_id: string; content: string }>()
      ).filter((r) => r.content !== '');
    // What lead_state folded from the old rows before the migrations: the plain value.
    expect(await leadState()).toEqual([{ lead_id: 'lead-1', content: 'to "ada" ada@x.example' }]);

    await migrate(database, '0035_drop_capture_utm_content.sql');
    await migrate(database, '0036_drop_lead_state_utm_content.sql');
    const result = await client.query({
      query: `SELECT data FROM ${database}.lead_events FINAL ORDER BY stream_revision`,
      format: 'JSONEachRow',
    });
    expect((await result.json<{ data: string }>()).map((r) => r.data)).toEqual([
      capture(''),
      capture(''),
      capture(''),
      '{"x":{"content":"kept"},"productInterest":null}',
    ]);
    expect(await leadState()).toEqual([]);
  });
});
