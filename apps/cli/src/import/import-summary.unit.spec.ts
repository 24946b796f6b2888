/**
 * The human report of `tandem import`: counts first, then each row that was not imported, named
 * by its file and the line it starts on.
 */
import { type ImportReport, importSummary } from './import.command';

const report = (fields: Partial<ImportReport>): ImportReport => ({
  source: 'contacts.csv',
  sourceHash: 'f00d',
  preset: 'hubspot',
  store: 'pglite',
  rulesVersion: 1,
  rows: 3,
  leadsTotal: 3,
  resumedAfterLeads: 0,
  importedLeads: 1,
  importedEvents: 4,
  alreadyImportedLeads: 0,
  refusedLeads: 0,
  refused: [],
  changedLeads: 0,
  changed: [],
  inStoreLeads: 0,
  inStore: [],
  seconds: 1,
  eventsPerSecond: 4,
  ...fields,
});

describe('importSummary', () => {
  it('names a refused row by the line it starts on, with the lines a multi-line record spans', () => {
    const text = importSummary(
      report({
        refusedLeads: 2,
        refused: [
          { file: 'contacts.csv', line: 6, lastLine: 7, leadId: 'hubspot:7002', reason: 'no' },
          { file: 'contacts.csv', line: 8, leadId: null, reason: 'not a lead' },
        ],
      }),
    );
    expect(text.split('\n').slice(1)).toEqual([
      '2 rows refused (2 leads not imported, none in part):',
      '  contacts.csv:6 (lines 6–7) lead hubspot:7002: no',
      '  contacts.csv:8 not a lead',
    ]);
  });

  it('names each fact changed since imported, by line, lead, type and field', () => {
    const text = importSummary(
      report({
        alreadyImportedLeads: 1,
        changedLeads: 1,
        changed: [
          {
            file: 'deals.csv',
            line: 3,
            leadId: 'hubspot:7001',
            type: 'WinDeal',
            fields: ['amount'],
          },
        ],
      }),
    );
    expect(text.split('\n').slice(1)).toEqual([
      '1 leads were already imported: nothing added',
      '1 leads changed since imported: not applied (the store keeps what was imported; ' +
        'docs/import.md, "A fact changed since imported"):',
      '  deals.csv:3 lead hubspot:7001: WinDeal: amount',
    ]);
  });
});
