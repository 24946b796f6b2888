import { copyField, copyText, postgresBulkAppendSql } from './postgres-bulk-append';
import { postgresStoreNames } from './postgres-store-names';

describe('the bulk append by COPY', () => {
  const row = {
    streamId: 'lead-1',
    streamRevision: 0,
    eventId: '0190a1b2-0000-7000-8000-000000000001',
    type: 'LeadCaptured',
    schemaVersion: 1,
    data: { text: 'a\tb\nc\\d "e"' },
    metadata: { leadId: '1' },
  };

  it('writes one line per row: drawn position, horizon, revision, and JSON with its backslashes doubled', () => {
    const text = copyText(
      [row, { ...row, streamRevision: 1 }],
      41n,
      '7',
      '2026-01-01T00:00:00+00:00',
    );
    expect(text.split('\n')).toEqual([
      '41\t7\tlead-1\t0' +
        '\t0190a1b2-0000-7000-8000-000000000001\tLeadCaptured\t1' +
        '\t{"text":"a\\\\tb\\\\nc\\\\\\\\d \\\\"e\\\\""}\t{"leadId":"1"}\t2026-01-01T00:00:00+00:00',
      expect.stringMatching(/^42\t7\tlead-1\t1\t/),
      '',
    ]);
  });

  it('counts positions past 2^53 exactly', () => {
    const first = 2n ** 53n - 1n;
    const lines = copyText([row, row], first, '1', 'now').split('\n');
    expect(lines.map((line) => line.split('\t')[0])).toEqual([
      first.toString(),
      (first + 1n).toString(),
      '',
    ]);
  });

  it('escapes the characters COPY reads specially in text fields, and nothing else', () => {
    expect(copyField('a\tb\nc\rd\\e')).toBe('a\\tb\\nc\\rd\\\\e');
    expect(copyField('plain é 漢')).toBe('plain é 漢');
    expect(copyField('\\N')).toBe('\\\\N'); // never read as NULL
  });

  it('draws positions through the store’s draw_positions and COPYs into its events table', () => {
    const sql = postgresBulkAppendSql(postgresStoreNames('unit_schema'));
    expect(sql.drawPositions).toContain('"unit_schema".draw_positions($1::bigint)');
    expect(sql.copyTarget).toMatch(/^"unit_schema"\.events \(global_position, horizon_xid,/);
  });
});
