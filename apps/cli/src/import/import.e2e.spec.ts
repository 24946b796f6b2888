/**
 * `tandem import` against real stores, PGlite and the local PostgreSQL server: the
 * canonical sample lands as the events each lead should have, a re-run (of the same
 * file, or of the same facts in another file) adds nothing, bad rows are refused by
 * file and line with their whole lead, a lead that already exists continues from its
 * history, and the built CLI killed with SIGKILL mid-import and run again leaves the
 * same events as a clean import. Each test has its own database or schema.
 */
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { canonicalLeadId, leadStreamId, salesforceSuffix } from '@tandem/domain';
import { loadConfig } from '@tandem/config';
import { createEventStore, type EventStore } from '@tandem/event-store';
import {
  TEST_POSTGRES_URL,
  dropSchema,
  freshSchemaName,
  pgliteUnavailableReason,
  postgresUnavailableReason,
} from '@tandem/testing';
import { readCanonicalJsonl } from './canonical-jsonl.source';
import { definitionInForce } from './definition-in-force';
import { importActor } from './import.command';
import type { ImportSource } from './import-fact';
import { planImport } from './import-plan';
import { type ImportOutcome, runImport } from './import-runner';
import { readMappedCsv } from './presets/csv-mapping';
import { readHubspotExport } from './presets/hubspot.preset';
import { readSalesforceExport } from './presets/salesforce.preset';
import { writeCanonicalHistory } from './testing/canonical-history';
import { utf8Lines } from './utf8-text';
import { importedLeadEvents as leadEvents, runImportCli as runCli } from './testing/import-cli';

jest.setTimeout(600_000);

const ROOT = path.resolve(__dirname, '../../../..');
const SAMPLE = path.join(ROOT, 'samples/import/canonical.jsonl');
const HUBSPOT = path.join(ROOT, 'samples/import/hubspot');
const SALESFORCE = path.join(ROOT, 'samples/import/salesforce');
const MAPPED = path.join(ROOT, 'samples/import/mapped');

interface StoreKind {
  readonly name: string;
  readonly unavailable: string | null;
  /** A fresh, empty store, and the environment that points the CLI at the same one. */
  create(): Promise<{
    env: Record<string, string>;
    open(): Promise<EventStore>;
    drop(): Promise<void>;
  }>;
}

const kinds: StoreKind[] = [
  {
    name: 'PGlite',
    unavailable: pgliteUnavailableReason(),
    create: async () => {
      const dataDir = await mkdtemp(path.join(tmpdir(), 'tandem-import-'));
      const env = { TANDEM_EVENT_STORE: 'pglite', TANDEM_DATA_DIR: dataDir };
      return {
        env,
        open: () => createEventStore(loadConfig(env).eventStore),
        drop: () => rm(dataDir, { recursive: true, force: true }),
      };
    },
  },
  {
    name: 'PostgreSQL',
    unavailable: postgresUnavailableReason(),
    create: () => {
      const schema = freshSchemaName('import');
      const env = {
        TANDEM_EVENT_STORE: 'postgres',
        TANDEM_POSTGRES_URL: TEST_POSTGRES_URL,
        TANDEM_POSTGRES_SCHEMA: schema,
      };
      return Promise.resolve({
        env,
        open: () => createEventStore(loadConfig(env).eventStore),
        drop: () => dropSchema(schema),
      });
    },
  },
];

async function importFile(
  store: EventStore,
  file: string,
  read: (file: string) => Promise<ImportSource> = readCanonicalJsonl,
): Promise<ImportOutcome> {
  const source = await read(file);
  const { definition } = await definitionInForce(store);
  return runImport({
    store,
    plan: planImport(source),
    sourceHash: source.hash,
    blockEvents: 8,
    decision: { definition, actor: importActor(file), correlationId: 'import-spec' },
  });
}

/** The HubSpot sample, its contacts export edited, copied to `dir` and imported from there. */
async function importEditedHubspot(
  store: EventStore,
  dir: string,
  edit: (contacts: string) => string,
): Promise<ImportOutcome> {
  const contacts = await readFile(path.join(HUBSPOT, 'contacts.csv'), 'utf8');
  await writeFile(path.join(dir, 'contacts.csv'), edit(contacts));
  await writeFile(path.join(dir, 'deals.csv'), await readFile(path.join(HUBSPOT, 'deals.csv')));
  return importFile(store, dir, () =>
    readHubspotExport(['contacts.csv', 'deals.csv'].map((name) => path.join(dir, name))),
  );
}

const typesOf = async (store: EventStore, leadId: string) =>
  (await store.readStream(leadStreamId(leadId))).map((event) => event.type);

describe.each(kinds)('import into $name', (kind) => {
  const maybe = kind.unavailable === null ? it : it.skip;
  if (kind.unavailable !== null)
    console.warn(`skipping ${kind.name} import specs: ${kind.unavailable}`);

  let fixture: Awaited<ReturnType<StoreKind['create']>>;
  let store: EventStore;
  let dir: string;
  beforeEach(async () => {
    if (kind.unavailable !== null) return;
    fixture = await kind.create();
    store = await fixture.open();
    dir = await mkdtemp(path.join(tmpdir(), 'tandem-import-files-'));
  });
  afterEach(async () => {
    if (kind.unavailable !== null) return;
    await store.close();
    await fixture.drop();
    await rm(dir, { recursive: true, force: true });
  });

  maybe('imports the canonical sample: each lead’s events in business-time order', async () => {
    const outcome = await importFile(store, SAMPLE);

    expect(outcome).toMatchObject({
      leadsTotal: 5,
      importedLeads: 5,
      importedEvents: 32,
      refused: [],
    });
    expect(await typesOf(store, 'hubspot:1001')).toEqual([
      'LeadCaptured',
      'TouchpointRecorded',
      'LeadProfiled',
      'LeadQualifiedAsMql',
      'LeadHandedToSales',
      'LeadAcceptedBySales',
      'LeadQualifiedAsSql',
      'OpportunityOpened',
      'OpportunityStageChanged',
      'DealWon',
    ]);
    // Its LoseDeal is the file's first line of the lead, and the last fact in business time.
    const lost = await typesOf(store, '0190d0b0-7c1e-7a3b-9c55-2f4d8e6a1b01');
    expect(lost[0]).toBe('LeadCaptured');
    expect(lost.at(-1)).toBe('DealLost');
    expect(await typesOf(store, 'hubspot:1002')).toContain('LeadRejectedBySales');
    expect(await typesOf(store, canonicalLeadId('salesforce:00Q5e00000AbCdE'))).toEqual([
      'LeadCaptured',
      'TouchpointRecorded',
      'TouchpointRecorded',
    ]);
    expect(await typesOf(store, 'hubspot:1005')).toContain('LeadRecycled');

    const [captured, , , mql, handed] = await store.readStream(leadStreamId('hubspot:1001'));
    expect(captured?.metadata).toMatchObject({
      leadId: 'hubspot:1001',
      accountId: 'fabbrica',
      occurredAt: '2025-01-06T09:12:00.000Z',
      actor: { kind: 'system', id: 'tandem-import:canonical.jsonl', role: 'system' },
    });
    expect(mql?.data).toMatchObject({ rulesVersion: 1 });
    // The SLA runs from the business time of the hand-off, not from the import's clock.
    expect(handed?.data).toMatchObject({ slaDueAt: '2025-01-09T12:00:00.000Z' });
  });

  maybe('a second run adds nothing, nor does the same history in another file', async () => {
    await importFile(store, SAMPLE);
    const head = await store.headPosition();
    const leadIds = planImport(await readCanonicalJsonl(SAMPLE)).leads.map((lead) => lead.leadId);
    const before = await leadEvents(store, leadIds);

    const again = await importFile(store, SAMPLE);
    expect(again).toMatchObject({ resumedAfterLeads: 5, importedEvents: 0, refused: [] });

    // Other bytes, other checkpoint: the deterministic event ids recognise every lead.
    const reordered = path.join(dir, 'reordered.jsonl');
    const lines = (await readFile(SAMPLE, 'utf8')).trimEnd().split('\n').reverse();
    await writeFile(reordered, `${lines.join('\n')}\n`);
    const other = await importFile(store, reordered);
    expect(other).toMatchObject({
      resumedAfterLeads: 0,
      importedEvents: 0,
      alreadyImportedLeads: 5,
      refused: [],
    });
    expect(await store.headPosition()).toBe(head);
    expect(await leadEvents(store, leadIds)).toEqual(before);
  });

  maybe(
    'a repeated touchpoint id is one touch, as live; other facts under it refuse the lead',
    async () => {
      const row = (leadId: string, type: string, day: number, data: object) =>
        JSON.stringify({ leadId, type, occurredAt: `2025-01-0${day}T10:00:00Z`, data });
      const captureData = {
        contact: { name: 'Ada', email: 'ada@example.com' },
        company: { name: 'Acme' },
        source: { channel: 'organic' },
        consent: { marketing: false },
      };
      const touch = (kind: string) => ({ touchpointId: 'crm-touch-1', kind, channel: 'web' });
      const rows = [
        row('crm:t', 'CaptureLead', 1, captureData),
        row('crm:t', 'RecordTouchpoint', 2, touch('webinar')),
        row('crm:t', 'RecordTouchpoint', 3, touch('webinar')),
        row('crm:t', 'ProfileLead', 4, { role: 'cmo' }),
        row('crm:u', 'CaptureLead', 1, captureData),
        row('crm:u', 'RecordTouchpoint', 2, touch('webinar')),
        row('crm:u', 'RecordTouchpoint', 3, touch('page_view')),
      ];
      const file = path.join(dir, 'repeats.jsonl');
      await writeFile(file, `${rows.join('\n')}\n`);

      const outcome = await importFile(store, file);
      expect(outcome).toMatchObject({ importedLeads: 1, importedEvents: 3, refusedLeads: 1 });
      expect(await typesOf(store, 'crm:t')).toEqual([
        'LeadCaptured',
        'TouchpointRecorded',
        'LeadProfiled',
      ]);
      expect(outcome.refused).toEqual([
        expect.objectContaining({
          line: 7,
          leadId: 'crm:u',
          reason: expect.stringMatching(
            /touchpoint crm-touch-1 was already recorded on this lead with kind webinar/,
          ) as unknown,
        }),
      ]);

      // The same history in other bytes: the touch that recorded nothing is no gap in what the
      // earlier run stored, so the lead is recognised whole, not refused.
      const reordered = path.join(dir, 'repeats-reordered.jsonl');
      await writeFile(reordered, `${[...rows].reverse().join('\n')}\n`);
      const head = await store.headPosition();
      const again = await importFile(store, reordered);
      expect(again).toMatchObject({ importedEvents: 0, alreadyImportedLeads: 1, refusedLeads: 1 });
      expect(await store.headPosition()).toBe(head);
    },
  );

  maybe('refuses bad rows by file and line, each with its whole lead', async () => {
    const file = path.join(dir, 'bad.jsonl');
    const capture = (lead: string, email: string, productInterest: string | null) =>
      JSON.stringify({
        leadId: lead,
        type: 'CaptureLead',
        occurredAt: '2025-01-01T10:00:00Z',
        data: {
          contact: { name: 'Ada', email },
          company: { name: 'Acme' },
          source: { channel: 'organic' },
          productInterest,
          timeframe: null,
          consent: { marketing: false },
        },
      });
    await writeFile(
      file,
      [
        capture('crm:a', 'ada@example.com', 'lead_scoring'),
        '{"leadId": "crm:x", "type": ',
        capture('crm:b', 'not-an-email', null),
        JSON.stringify({
          leadId: 'crm:b',
          type: 'RecordTouchpoint',
          occurredAt: '2025-01-02T10:00:00Z',
          data: { kind: 'page_view', channel: 'web' },
        }),
        capture('crm:c', 'cy@example.com', null),
        JSON.stringify({
          leadId: 'crm:c',
          type: 'QualifyLeadAsMql',
          occurredAt: '2025-01-03T10:00:00Z',
        }),
        JSON.stringify({
          leadId: 'no id',
          type: 'CaptureLead',
          occurredAt: '2025-01-03T10:00:00Z',
        }),
      ].join('\n'),
    );

    const outcome = await importFile(store, file);

    expect(outcome).toMatchObject({ importedLeads: 1, refusedLeads: 2 });
    expect(outcome.refused.map(({ line, leadId }) => ({ line, leadId }))).toEqual([
      { line: 2, leadId: null },
      { line: 3, leadId: 'crm:b' },
      { line: 6, leadId: 'crm:c' },
      { line: 7, leadId: null },
    ]);
    expect(outcome.refused[0]?.reason).toMatch(/^not JSON/);
    expect(outcome.refused[1]?.reason).toMatch(/CaptureLead: invalid data: contact\.email/);
    expect(outcome.refused[2]?.reason).toMatch(/QualifyLeadAsMql: .*MQL criteria/);
    expect(outcome.refused[3]?.reason).toMatch(/^leadId /);
    expect(await typesOf(store, 'crm:a')).toEqual(['LeadCaptured']);
    expect(await typesOf(store, 'crm:b')).toEqual([]);
    expect(await typesOf(store, 'crm:c')).toEqual([]);
  });

  maybe('continues a lead that already exists from its history', async () => {
    await importFile(store, SAMPLE);
    const file = path.join(dir, 'more.jsonl');
    await writeFile(
      file,
      `${JSON.stringify({
        leadId: 'HUBSPOT:01005', // another spelling of hubspot:1005
        type: 'RecordTouchpoint',
        occurredAt: '2025-04-01T10:00:00Z',
        data: { kind: 'webinar', channel: 'webinar', campaign: 'q2-webinar' },
      })}\n`,
    );

    const outcome = await importFile(store, file);

    expect(outcome).toMatchObject({ importedLeads: 1, importedEvents: 1, refused: [] });
    expect((await typesOf(store, 'hubspot:1005')).at(-1)).toBe('TouchpointRecorded');
  });

  maybe(
    'imports the HubSpot sample: leads without an MQL date take the sales-sourced path',
    async () => {
      const hubspot = (dir: string) =>
        readHubspotExport([path.join(dir, 'contacts.csv'), path.join(dir, 'deals.csv')]);
      const outcome = await importFile(store, HUBSPOT, hubspot);

      expect(outcome).toMatchObject({ importedLeads: 5, importedEvents: 26, refused: [] });
      expect(await typesOf(store, 'hubspot:2001')).toEqual([
        'LeadCaptured',
        'LeadProfiled',
        'LeadQualifiedAsMql',
        'LeadHandedToSales',
        'LeadAcceptedBySales',
        'LeadQualifiedAsSql',
        'OpportunityOpened',
        'DealWon',
      ]);
      // Met at a fair (original source OFFLINE), straight to sales: no MQL, then lost.
      expect(await typesOf(store, 'hubspot:2003')).toEqual([
        'LeadCaptured',
        'LeadProfiled',
        'LeadHandedToSales',
        'LeadAcceptedBySales',
        'LeadQualifiedAsSql',
        'OpportunityOpened',
        'DealLost',
      ]);
      const [captured, , direct] = await store.readStream(leadStreamId('hubspot:2003'));
      // HubSpot's OFFLINE source is Tandem's `event` channel, as live captures name it.
      expect(captured?.data).toMatchObject({ source: { channel: 'event' } });
      expect(direct?.data).toMatchObject({ path: 'sales_sourced', salesSource: 'event_contact' });
      const lost = (await store.readStream(leadStreamId('hubspot:2003'))).at(-1);
      expect(lost?.data).toMatchObject({ reason: 'competitor' });
      expect(await typesOf(store, 'hubspot:2004')).toEqual(['LeadCaptured', 'LeadProfiled']);

      // A loss reason the mapping lacks refuses its lead, naming the deals file's row.
      const copy = path.join(dir, 'hubspot');
      await writeFile(
        path.join(dir, 'contacts.csv'),
        await readFile(path.join(HUBSPOT, 'contacts.csv')),
      );
      const deals = (await readFile(path.join(HUBSPOT, 'deals.csv'), 'utf8')).replace(
        'Went with competitor',
        'Budget cut',
      );
      await writeFile(path.join(dir, 'deals.csv'), deals);
      const fresh = await kind.create();
      const other = await fresh.open();
      try {
        const refused = await importFile(other, copy, () => hubspot(dir));
        expect(refused.refused).toEqual([
          {
            file: path.join(dir, 'deals.csv'),
            line: 3,
            leadId: 'hubspot:2003',
            reason:
              'closed_lost_reason "Budget cut" is not mapped to a loss reason of the dictionary',
          },
        ]);
        expect(await typesOf(other, 'hubspot:2003')).toEqual([]);
      } finally {
        await other.close();
        await fresh.drop();
      }
    },
  );

  maybe(
    'imports the Salesforce sample: status history, opportunity history, both paths',
    async () => {
      const salesforce = (dir: string) =>
        readSalesforceExport(
          ['Leads', 'LeadHistory', 'Opportunities', 'OpportunityHistory'].map((name) =>
            path.join(dir, `${name}.csv`),
          ),
        );
      const outcome = await importFile(store, SALESFORCE, salesforce);

      expect(outcome).toMatchObject({ importedLeads: 4, refused: [] });
      const lead = (id15: string) => canonicalLeadId(`salesforce:${id15}`);
      expect(await typesOf(store, lead('00Q5e00000AbCd1'))).toEqual([
        'LeadCaptured',
        'LeadProfiled',
        'LeadQualifiedAsMql',
        'LeadHandedToSales',
        'LeadAcceptedBySales',
        'LeadQualifiedAsSql',
        'OpportunityOpened',
        'OpportunityStageChanged',
        'DealWon',
      ]);
      const rejected = await store.readStream(leadStreamId(lead('00Q5e00000AbCd2')));
      expect(rejected.at(-1)).toMatchObject({
        type: 'LeadRejectedBySales',
        data: { reason: 'no_budget' },
      });
      // A trade-show lead accepted by sales without an MQL: the sales-sourced path.
      const direct = await store.readStream(leadStreamId(lead('00Q5e00000AbCd3')));
      expect(direct[0]?.data).toMatchObject({ source: { channel: 'trade_fair' } });
      expect(direct.map((event) => event.type)).not.toContain('LeadQualifiedAsMql');
      expect(direct.find((event) => event.type === 'LeadHandedToSales')?.data).toMatchObject({
        path: 'sales_sourced',
        salesSource: 'event_contact',
      });
      expect(direct.at(-1)).toMatchObject({ type: 'DealLost', data: { reason: 'competitor' } });
      expect(await typesOf(store, lead('00Q5e00000AbCd4'))).toEqual([
        'LeadCaptured',
        'LeadProfiled',
      ]);
    },
  );

  maybe(
    'a Salesforce re-export in the 18-character form, or mixed, is the same leads: nothing added',
    async () => {
      const names = ['Leads', 'LeadHistory', 'Opportunities', 'OpportunityHistory'];
      /** The sample copied to `dir/form`, each file's lead and opportunity ids rewritten. */
      const exportIn = async (form: string, rewrite: (name: string, id: string) => string) => {
        await mkdir(path.join(dir, form));
        const files = names.map((name) => path.join(dir, form, `${name}.csv`));
        for (const [at, name] of names.entries()) {
          const text = await readFile(path.join(SALESFORCE, `${name}.csv`), 'utf8');
          const ids = /\b(00Q|006)5e00000[A-Za-z0-9]{5}\b/g;
          await writeFile(
            files[at] ?? '',
            text.replace(ids, (id) => rewrite(name, id)),
          );
        }
        return () => readSalesforceExport(files);
      };
      const long = (id: string) => `${id}${salesforceSuffix(id)}`;
      const first = await importFile(store, SALESFORCE, await exportIn('15', (_, id) => id));
      expect(first).toMatchObject({ importedLeads: 4, refused: [] });
      const leadIds = ['1', '2', '3', '4'].map((n) =>
        canonicalLeadId(`salesforce:00Q5e00000AbCd${n}`),
      );
      const head = await store.headPosition();
      const before = await leadEvents(store, leadIds);

      const as18 = await importFile(store, SALESFORCE, await exportIn('18', (_, id) => long(id)));
      // Mixed: the Leads and OpportunityHistory in the 18-character form (lower-cased, as a
      // case-insensitive tool may write it), the others in 15.
      const mixed = await importFile(
        store,
        SALESFORCE,
        await exportIn('mixed', (name, id) =>
          name === 'Leads' || name === 'OpportunityHistory' ? long(id).toLowerCase() : id,
        ),
      );
      for (const again of [as18, mixed]) {
        expect(again).toMatchObject({
          importedEvents: 0,
          alreadyImportedLeads: 4,
          refused: [],
          changed: [],
        });
      }
      expect(await store.headPosition()).toBe(head);
      expect(await leadEvents(store, leadIds)).toEqual(before);
      // Alone, into an empty store, each form gives the events the 15-character one did:
      // every status change and opportunity joined to its lead, whatever form named it.
      for (const form of ['18', 'mixed']) {
        const clean = await kind.create();
        const cleanStore = await clean.open();
        try {
          const read = () =>
            readSalesforceExport(names.map((name) => path.join(dir, form, `${name}.csv`)));
          await importFile(cleanStore, SALESFORCE, read);
          expect(await leadEvents(cleanStore, leadIds)).toEqual(before);
        } finally {
          await cleanStore.close();
          await clean.drop();
        }
      }
    },
  );

  maybe(
    'imports a CSV through a mapping file; a value its map lacks refuses the lead',
    async () => {
      const mapping = path.join(MAPPED, 'mapping.json');
      const outcome = await importFile(store, path.join(MAPPED, 'leads.csv'), (file) =>
        readMappedCsv([file], mapping),
      );
      expect(outcome).toMatchObject({ importedLeads: 3, refused: [] });
      expect(await typesOf(store, 'pipedrive:302')).toEqual([
        'LeadCaptured',
        'LeadProfiled',
        'LeadQualifiedAsMql',
        'LeadHandedToSales',
        'LeadRejectedBySales',
      ]);

      const unmapped = path.join(dir, 'leads.csv');
      const csv = await readFile(path.join(MAPPED, 'leads.csv'), 'utf8');
      await writeFile(unmapped, csv.replace('Budget cut', 'Reorganisation'));
      const fresh = await kind.create();
      const other = await fresh.open();
      try {
        const refused = await importFile(other, unmapped, (file) => readMappedCsv([file], mapping));
        expect(refused).toMatchObject({ importedLeads: 2, refusedLeads: 1 });
        expect(refused.refused).toEqual([
          {
            file: unmapped,
            line: 3,
            leadId: 'pipedrive:302',
            reason: 'RejectLead.reason: Reject reason "Reorganisation" is not in the mapping',
          },
        ]);
      } finally {
        await other.close();
        await fresh.drop();
      }
    },
  );

  maybe('a later export of a lead imported before adds its new facts, once', async () => {
    // January's export stops at the opportunity; February's holds its stage change and win.
    const lines = (await readFile(SAMPLE, 'utf8')).trimEnd().split('\n');
    const january = path.join(dir, 'january', 'canonical.jsonl');
    await mkdir(path.dirname(january));
    await writeFile(january, `${lines.filter((_, at) => at !== 8 && at !== 9).join('\n')}\n`);
    await importFile(store, january);
    expect(await typesOf(store, 'hubspot:1001')).not.toContain('DealWon');

    const february = await importFile(store, SAMPLE);
    expect(february).toMatchObject({
      importedLeads: 1,
      importedEvents: 2,
      alreadyImportedLeads: 4,
      refused: [],
    });
    const clean = await kind.create();
    const cleanStore = await clean.open();
    try {
      await importFile(cleanStore, SAMPLE);
      expect(await leadEvents(store, ['hubspot:1001'])).toEqual(
        await leadEvents(cleanStore, ['hubspot:1001']),
      );
    } finally {
      await cleanStore.close();
      await clean.drop();
    }
    expect(await importFile(store, SAMPLE)).toMatchObject({ importedEvents: 0, refused: [] });

    // A fact among those imported before cannot be slotted in: the lead is refused, named.
    const touch = lines[1]?.replace('2025-01-07T10:00:00Z', '2025-01-07T11:00:00Z') ?? '';
    const inserted = path.join(dir, 'march.jsonl');
    await writeFile(inserted, `${[...lines.slice(0, 2), touch, ...lines.slice(2)].join('\n')}\n`);
    const before = await store.readStream(leadStreamId('hubspot:1001'));
    const march = await importFile(store, inserted);
    expect(march.refused).toEqual([
      {
        file: inserted,
        line: 3,
        leadId: 'hubspot:1001',
        reason:
          'RecordTouchpoint: the lead was imported before without this fact but with later ones; an import adds facts after those it imported, never among them',
      },
    ]);
    expect(await store.readStream(leadStreamId('hubspot:1001'))).toEqual(before);
  });

  maybe('a CSV date it cannot read refuses its lead, never a guessed day', async () => {
    const mapping = path.join(MAPPED, 'mapping.json');
    const csv = (await readFile(path.join(MAPPED, 'leads.csv'), 'utf8'))
      .replace('2025-02-15 12:00', '2025-02-30 12:00') // no such day: Date.parse says March 2
      .replace('2025-01-12 10:00', '12/01/2025 10:00'); // December or January?
    const odd = path.join(dir, 'leads.csv');
    await writeFile(odd, csv);
    const outcome = await importFile(store, odd, (file) => readMappedCsv([file], mapping));
    expect(outcome).toMatchObject({ importedLeads: 1, refusedLeads: 2 });
    expect(outcome.refused).toEqual([
      {
        file: odd,
        line: 3,
        leadId: 'pipedrive:302',
        reason: 'Rejected at: "12/01/2025 10:00" is not a date',
      },
      {
        file: odd,
        line: 4,
        leadId: 'pipedrive:303',
        reason: 'Created: "2025-02-30 12:00" is not a date',
      },
    ]);
    expect(await typesOf(store, 'pipedrive:303')).toEqual([]);

    // A preset's optional date (an MQL, a close) cannot be left out either: without its MQL a
    // HubSpot contact would be imported as sales-sourced.
    const hubspot = await importEditedHubspot(store, dir, (contacts) =>
      contacts.replace('2025-01-08 11:05', '08/01/2025 11:05'),
    );
    expect(hubspot.refused).toEqual([
      {
        file: path.join(dir, 'contacts.csv'),
        line: 2,
        leadId: 'hubspot:2001',
        reason: 'hs_lifecyclestage_marketingqualifiedlead_date "08/01/2025 11:05" is not a date',
      },
    ]);
    expect(await typesOf(store, 'hubspot:2001')).toEqual([]);
  });

  maybe('a CSV number or yes/no cell it cannot read refuses its lead, never a guess', async () => {
    // Number() reads hex and exponents and gives NaN for a thousands separator, which the
    // presets then left out; /true|yes|1/ read every other word, "ja" included, as false.
    const mapping = path.join(dir, 'mapping.json');
    const sampleMapping = await readFile(path.join(MAPPED, 'mapping.json'), 'utf8');
    await writeFile(
      mapping,
      sampleMapping.replace('"value": false', '"column": "Consent", "boolean": true'),
    );
    const rows = (await readFile(path.join(MAPPED, 'leads.csv'), 'utf8')).split('\n');
    const consent = ['Consent', 'yes', 'NO', 'ja'];
    const csv = path.join(dir, 'leads.csv');
    await writeFile(
      csv,
      rows
        .map((row, at) => (row === '' ? row : `${row},${consent[at] ?? ''}`))
        .join('\n')
        .replace(',420,', ',0x1A4,'),
    );
    const outcome = await importFile(store, csv, (file) => readMappedCsv([file], mapping));
    expect(outcome.refused).toEqual([
      {
        file: csv,
        line: 2,
        leadId: 'pipedrive:301',
        reason: 'CaptureLead.company.size: Employees "0x1A4" is not a number',
      },
      {
        file: csv,
        line: 4,
        leadId: 'pipedrive:303',
        reason: 'CaptureLead.consent.marketing: Consent "ja" is not a yes/no value',
      },
    ]);
    const [captured] = await store.readStream(leadStreamId('pipedrive:302'));
    expect(captured?.data).toMatchObject({ consent: { marketing: false } });

    const hubspot = await importEditedHubspot(store, dir, (contacts) =>
      contacts.replace(',120,', ',"1,200",'),
    );
    expect(hubspot.refused).toEqual([
      {
        file: path.join(dir, 'contacts.csv'),
        line: 3,
        leadId: 'hubspot:2002',
        reason: 'numemployees "1,200" is not a number',
      },
    ]);
  });

  maybe(
    'an e-mail opt-out of "Yes" is no consent; a word that is not yes or no refuses',
    async () => {
      // Only "true" counted as an opt-out: "Yes" (or "1") was imported as marketing consent.
      const optOut = ['hs_email_optout', 'Yes', 'maybe', '1', 'false'];
      const hubspot = await importEditedHubspot(store, dir, (contacts) => {
        const rows = contacts.split('\n');
        const column = rows[0]?.split(',').indexOf('hs_email_optout') ?? -1;
        expect(column).toBeGreaterThan(0);
        return rows
          .map((row, at) =>
            row === ''
              ? row
              : row
                  .split(',')
                  .map((cell, i) => (i === column ? (optOut[at] ?? '') : cell))
                  .join(','),
          )
          .join('\n');
      });
      expect(hubspot.refused).toEqual([
        {
          file: path.join(dir, 'contacts.csv'),
          line: 3,
          leadId: 'hubspot:2002',
          reason: 'hs_email_optout "maybe" is not a yes/no value',
        },
      ]);
      const consentOf = async (leadId: string) =>
        ((await store.readStream(leadStreamId(leadId)))[0]?.data as { consent?: unknown }).consent;
      expect(await consentOf('hubspot:2001')).toEqual({ marketing: false });
      expect(await consentOf('hubspot:2003')).toEqual({ marketing: false });
      expect(await consentOf('hubspot:2004')).toEqual({ marketing: true });
    },
  );

  maybe(
    'a country written out in English is read as its code; one it cannot read refuses',
    async () => {
      // Salesforce kept only two-letter codes: "Italy" was accepted and left out of the lead.
      const leads = path.join(dir, 'Leads.csv');
      await writeFile(
        leads,
        (await readFile(path.join(SALESFORCE, 'Leads.csv'), 'utf8'))
          .replace(',IT,', ',Italy,')
          .replace(',DE,', ', united   STATES ,')
          .replace(',FR,', ',Atlantis,'),
      );
      const others = ['LeadHistory', 'Opportunities', 'OpportunityHistory'];
      const salesforce = await importFile(store, leads, () =>
        readSalesforceExport([
          leads,
          ...others.map((name) => path.join(SALESFORCE, `${name}.csv`)),
        ]),
      );
      const lead = (id15: string) => canonicalLeadId(`salesforce:${id15}`);
      expect(salesforce.refused).toEqual([
        {
          file: leads,
          line: 4,
          leadId: lead('00Q5e00000AbCd3'),
          reason:
            'Country "Atlantis" is not a country: an ISO 3166-1 alpha-2 code or its English name',
        },
      ]);
      const countryOf = async (leadId: string) =>
        (
          (await store.readStream(leadStreamId(leadId)))[0]?.data as {
            company?: { country?: unknown };
          }
        ).company?.country;
      expect(await countryOf(lead('00Q5e00000AbCd1'))).toBe('IT');
      expect(await countryOf(lead('00Q5e00000AbCd2'))).toBe('US');
      expect(await countryOf(lead('00Q5e00000AbCd4'))).toBe('US');

      // HubSpot passed any text on, which the decider then refused: "Germany" is Germany.
      const hubspot = await importEditedHubspot(store, dir, (contacts) =>
        contacts.replace(',DE,', ',Germany,').replace(',FR,', ',Narnia,'),
      );
      expect(hubspot.refused).toEqual([
        {
          file: path.join(dir, 'contacts.csv'),
          line: 4,
          leadId: 'hubspot:2003',
          reason:
            'country "Narnia" is not a country: an ISO 3166-1 alpha-2 code or its English name',
        },
      ]);
      expect(await countryOf('hubspot:2002')).toBe('DE');
    },
  );

  maybe(
    'a preset export missing a column it needs is refused; one lacking an optional column is told',
    async () => {
      // A partial export (a saved view without some columns) quietly left those facts out.
      const contacts = path.join(dir, 'contacts.csv');
      const deals = path.join(HUBSPOT, 'deals.csv');
      const sample = await readFile(path.join(HUBSPOT, 'contacts.csv'), 'utf8');
      await writeFile(contacts, sample.replace('createdate,', 'created,'));
      await expect(readHubspotExport([contacts, deals])).rejects.toThrow(
        `${contacts}: the hubspot preset needs column "createdate", which the header does not have`,
      );
      await writeFile(
        contacts,
        sample.replace(',hs_lifecyclestage_marketingqualifiedlead_date,', ',mql_date,'),
      );
      const hubspot = await readHubspotExport([contacts, deals]);
      expect(hubspot.notes).toEqual([
        `${contacts}: no column "hs_lifecyclestage_marketingqualifiedlead_date": imported without what they hold`,
      ]);

      const leads = path.join(dir, 'Leads.csv');
      const others = ['LeadHistory', 'Opportunities', 'OpportunityHistory'].map((name) =>
        path.join(SALESFORCE, `${name}.csv`),
      );
      const leadsSample = await readFile(path.join(SALESFORCE, 'Leads.csv'), 'utf8');
      await writeFile(leads, leadsSample.replace(',Country,', ',Land,'));
      expect((await readSalesforceExport([leads, ...others])).notes).toEqual([
        `${leads}: no column "Country": imported without what they hold`,
      ]);
      await writeFile(leads, leadsSample.replace('Id,', 'LeadNumber,'));
      await expect(readSalesforceExport([leads, ...others])).rejects.toThrow(
        `${leads}: the salesforce preset needs column "Id", which the header does not have`,
      );
    },
  );

  maybe('a mapping naming a column the CSV lacks is refused, not read as empty cells', async () => {
    // A typo in a column name made every cell of it empty: the field, or the whole fact
    // (a `when` column), was left out of every lead without a word.
    const csv = path.join(MAPPED, 'leads.csv');
    const sample = await readFile(path.join(MAPPED, 'mapping.json'), 'utf8');
    for (const [typo, column] of [
      ['"when": "MQL at"', 'MQL_at'],
      ['"column": "Employees"', 'Employes'],
      ['"column": "Person ID"', 'PersonID'],
    ] as const) {
      const mapping = path.join(dir, 'mapping.json');
      await writeFile(
        mapping,
        sample.replace(typo, typo.replace(/"[^"]*"$/, JSON.stringify(column))),
      );
      await expect(
        importFile(store, csv, (file) => readMappedCsv([file], mapping)),
      ).rejects.toThrow(
        `${csv}: the mapping names column ${JSON.stringify(column)}, which the header does not have`,
      );
    }
    expect(await store.headPosition()).toBeNull();
  });

  maybe('a file that is not UTF-8 is refused whole, naming its first bad line', async () => {
    // José as Latin-1 (0xE9): Node's decoder would make it "Jos\uFFFD" and store that.
    const latin1 = (text: string) => Buffer.from(text, 'latin1');
    const lines = (await readFile(SAMPLE, 'utf8')).split('\n');
    const jsonl = path.join(dir, 'latin1.jsonl');
    await writeFile(
      jsonl,
      Buffer.concat([
        Buffer.from(`${lines.slice(1, 3).join('\r\n')}\r\n`),
        latin1(`${lines[0]?.replace('Giulia Rossi', 'José Álvarez') ?? ''}\n`),
      ]),
    );
    await expect(importFile(store, jsonl)).rejects.toThrow(
      `${jsonl}: line 3 is not UTF-8 text (a Latin-1 or Windows-1252 export?): save the file as UTF-8 and import it again`,
    );

    const csv = path.join(dir, 'leads.csv');
    const sample = await readFile(path.join(MAPPED, 'leads.csv'), 'utf8');
    await writeFile(csv, latin1(sample.replace('Sam Carter', 'Sam Carté')));
    await expect(
      importFile(store, csv, (file) => readMappedCsv([file], path.join(MAPPED, 'mapping.json'))),
    ).rejects.toThrow(`${csv}: line 4 is not UTF-8 text`);
    expect(await store.headPosition()).toBeNull();
  });

  maybe(
    'a JSONL line longer than 1 MiB is refused, naming it, without reading the rest',
    async () => {
      // The reader held a line whole until its line feed: one 8 MiB line, 8 MiB in memory.
      const lines = (await readFile(SAMPLE, 'utf8')).split('\n');
      const jsonl = path.join(dir, 'huge.jsonl');
      const huge = `{"leadId":"crm:1","type":"CaptureLead","occurredAt":"2025-01-06T09:12:00Z","data":{"x":"${'a'.repeat(8 * 1024 * 1024)}"}}`;
      await writeFile(jsonl, `${lines.slice(0, 2).join('\r\n')}\r\n${huge}\n${lines[2] ?? ''}\n`);
      await expect(importFile(store, jsonl)).rejects.toThrow(
        `${jsonl}: line 3 is longer than 1 MiB (a fact is a few KiB): is it JSON Lines?`,
      );
      let bytesRead = 0;
      await expect(async () => {
        for await (const _line of utf8Lines(jsonl, (chunk) => (bytesRead += chunk.length)));
      }).rejects.toThrow('line 3 is longer than 1 MiB');
      expect(bytesRead).toBeLessThan(2 * 1024 * 1024);
      // A file of CR line ends only is still read line by line.
      const cr = path.join(dir, 'cr.jsonl');
      await writeFile(cr, `${lines.slice(0, 5).join('\r')}\r`.repeat(2000));
      let count = 0;
      for await (const _line of utf8Lines(cr, () => undefined)) count += 1;
      expect(count).toBe(10_000);
      expect(await store.headPosition()).toBeNull();
    },
  );

  maybe('a CSV header naming a column twice is refused, not read as one of the two', async () => {
    // Two "Email" columns (work, then private): a row keyed by header kept only the last.
    const sample = (await readFile(path.join(MAPPED, 'leads.csv'), 'utf8')).split('\n');
    const twice = sample.map((row, at) =>
      row === '' ? row : `${row},${at === 0 ? 'Email' : `private${at}@mail.example`}`,
    );
    const csv = path.join(dir, 'leads.csv');
    await writeFile(csv, twice.join('\n'));
    await expect(
      importFile(store, csv, (file) => readMappedCsv([file], path.join(MAPPED, 'mapping.json'))),
    ).rejects.toThrow(`${csv}: the header names column "Email" twice; rename or remove one`);
    expect(await store.headPosition()).toBeNull();
  });

  maybe('a SIGKILL mid-import, then a re-run, leaves what a clean import leaves', async () => {
    const file = path.join(dir, 'history.jsonl');
    await writeCanonicalHistory(file, 12_000);
    await store.close(); // PGlite is one process's database: the CLI gets it alone

    const killed = await runCli(fixture.env, [file, '--block-events', '300'], (stderr) =>
      /import: [1-9][\d,]*\/[\d,]+ leads/.test(stderr),
    );
    expect({ signal: killed.signal, stderr: killed.stderr }).toMatchObject({ signal: 'SIGKILL' });
    const resumed = await runCli(fixture.env, [file, '--json', '--block-events', '300']);
    expect(resumed.code).toBe(0);
    const report = JSON.parse(resumed.stdout) as ImportOutcome;
    expect(report.resumedAfterLeads).toBeGreaterThan(0);
    expect(report.resumedAfterLeads).toBeLessThan(report.leadsTotal);
    expect(report.refused).toEqual([]);

    const clean = await kind.create();
    try {
      const cleanRun = await runCli(clean.env, [file, '--json']);
      expect({ code: cleanRun.code, stderr: cleanRun.stderr }).toMatchObject({ code: 0 });
      const cleanReport = JSON.parse(cleanRun.stdout) as ImportOutcome;
      expect(cleanReport.importedEvents + report.importedEvents).toBeGreaterThan(0);
      store = await fixture.open();
      const cleanStore = await clean.open();
      try {
        const leadIds = planImport(await readCanonicalJsonl(file)).leads.map((lead) => lead.leadId);
        const expected = await leadEvents(cleanStore, leadIds);
        expect(expected.length).toBeGreaterThan(11_000);
        expect(await leadEvents(store, leadIds)).toEqual(expected);
      } finally {
        await cleanStore.close();
      }
    } finally {
      await clean.drop();
    }
  });
});
