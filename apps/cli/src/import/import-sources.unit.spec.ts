import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { UsageError } from '../usage-error';
import { readImportSource } from './import-sources';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'tandem-import-sources-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('readImportSource', () => {
  it.each([
    ['a quote inside an unquoted cell (a spreadsheet formula)', '7001,=HYPERLINK("x"),a@x.example'],
    ['a quote never closed', '7001,"Acme,a@x.example'],
    ['a row longer than the header', '7001,Acme,a@x.example,extra'],
  ])('refuses a file csv-parse cannot read, %s, as a usage error', async (_, row) => {
    const file = path.join(dir, 'contacts.csv');
    await writeFile(file, `hs_object_id,company,email\n${row}\n`);
    const refusal: unknown = await readImportSource([file], 'hubspot', null).catch(
      (error: unknown) => error,
    );
    expect(refusal).toBeInstanceOf(UsageError);
    expect((refusal as Error).message).toMatch(/^not a CSV file: /);
  });

  it('names where a file is not CSV without quoting the cell: people are in it', async () => {
    const file = path.join(dir, 'contacts.csv');
    await writeFile(file, `hs_object_id,company,email\n7001,Erin "Shredder" Ltd,erin@x.example\n`);
    const refusal: unknown = await readImportSource([file], 'hubspot', null).catch(
      (error: unknown) => error,
    );
    expect(refusal).toBeInstanceOf(UsageError);
    expect((refusal as Error).message).toMatch(/^not a CSV file: .*field "company" at line 2/);
    expect((refusal as Error).message).not.toContain('Erin');
  });

  it('refuses a HubSpot contact whose id names no record as the API does, and keeps the others', async () => {
    const file = path.join(dir, 'contacts.csv');
    await writeFile(
      file,
      [
        'hs_object_id,createdate,email',
        '0,2025-01-01T00:00:00Z,a@x.example',
        '9223372036854775808,2025-01-01T00:00:00Z,b@x.example',
        '00042,2025-01-01T00:00:00Z,c@x.example',
        '',
      ].join('\n'),
    );
    const { rows } = await readImportSource([file], 'hubspot', null);
    const refused = rows.flatMap((row) => (row.ok ? [] : [row]));
    expect(refused).toEqual([
      expect.objectContaining({
        leadId: null,
        reason: expect.stringMatching(/^hs_object_id "0" .*outside 1\.\./) as unknown,
      }),
      expect.objectContaining({
        leadId: null,
        reason: expect.stringMatching(/^hs_object_id "9223372036854775808" .*outside/) as unknown,
      }),
    ]);
    expect(new Set(rows.flatMap((row) => (row.ok ? [row.fact.leadId] : [])))).toEqual(
      new Set(['hubspot:42']),
    );
  });
});
