/**
 * A file run again (or a killed run resumed) decides its leads again, and what it writes is
 * what they decide to now — not what the checkpoint says an earlier run found: a lead refused
 * then and taken now is appended, a lead imported then is found imported.
 * - The rules changed: a rejection reason the shared list lacked was added.
 * - The clock moved: a fact that was ahead of it (a zone-less export's local times read as UTC,
 *   a deal marked won at a date not yet come) is not any more. The first run refused the lead
 *   for that row; a re-run used to skip it as done, name nothing, and exit 0.
 * On PGlite (in memory).
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import {
  decideDictionary,
  defaultFunnelDefinition,
  DEFINITIONS_STREAM,
  type DictionaryState,
  evolveDictionary,
  initialDictionaryState,
  leadStreamId,
} from '@tandem/domain';
import { decodeStoredEvent } from '@tandem/contracts';
import { createPgliteEventStore, type EventStore, writeEvents } from '@tandem/event-store';
import { pgliteUnavailableReason } from '@tandem/testing';
import { captureFact, onDay } from './testing/canonical-facts';
import { importLines as importFile } from './testing/import-lines';
import { readCanonicalJsonl } from './canonical-jsonl.source';
import { definitionInForce } from './definition-in-force';
import { importActor } from './import.command';
import { type ImportPlan, planImport } from './import-plan';
import { type ImportOutcome, runImport } from './import-runner';

jest.setTimeout(120_000);

const maybe = pgliteUnavailableReason() === null ? it : it.skip;

const fact = (leadId: string, type: string, day: number, data: object) =>
  JSON.stringify({ leadId, type, occurredAt: onDay(day), data });
const capture = (leadId: string) => JSON.stringify(captureFact(leadId, onDay(1)));
/** A lead handed to sales and rejected for `reason`, captured on day 1, and its stream. */
const rejected = (leadId: string, reason: string) => [
  capture(leadId),
  fact(leadId, 'HandLeadToSalesDirectly', 2, { owner: 'marco.bianchi', source: 'outbound' }),
  fact(leadId, 'RejectLead', 3, { reason }),
];

/** Publishes the shipped definition with one more rejection reason, and puts it in force. */
async function addRejectionReason(store: EventStore, code: string): Promise<void> {
  let state: DictionaryState = initialDictionaryState();
  const records = await store.readStream(DEFINITIONS_STREAM);
  for (const record of records) {
    const decoded = decodeStoredEvent(record);
    if (decoded.ok) state = evolveDictionary(state, decoded.envelope as never);
  }
  const version = (state.published.at(-1)?.version ?? 0) + 1;
  const draft = {
    ...defaultFunnelDefinition,
    version,
    rejectionReasons: [...defaultFunnelDefinition.rejectionReasons, { code, label: code }],
  };
  const context = {
    leadId: null,
    accountId: null,
    occurredAt: new Date().toISOString(),
    correlationId: `rules-${version}`,
    causationId: null,
    actor: { kind: 'system', id: 'spec', role: 'system' } as const,
  };
  const published = decideDictionary({ type: 'PublishFunnelDefinition', data: { draft } }, state);
  const activated = decideDictionary(
    { type: 'ActivateFunnelDefinition', data: { version } },
    published.reduce((folded, event) => evolveDictionary(folded, event as never), state),
  );
  await writeEvents(
    store,
    DEFINITIONS_STREAM,
    [...published, ...activated],
    context,
    records.at(-1)?.streamRevision ?? 'no_stream',
  );
}

let dir: string;
let store: EventStore;
beforeEach(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'tandem-import-rules-'));
  store = await createPgliteEventStore({ memory: true });
});
afterEach(async () => {
  await store.close();
  await rm(dir, { recursive: true, force: true });
});

const importLines = (
  lines: readonly string[],
  blockEvents = 1,
  onProgress?: () => void,
): Promise<ImportOutcome> =>
  importFile({
    store,
    file: path.join(dir, 'history.jsonl'),
    lines,
    blockEvents,
    correlationId: 'import-rules-spec',
    onProgress,
  });

const typesOf = async (leadId: string) =>
  (await store.readStream(leadStreamId(leadId))).map((event) => event.type);

const REJECTED_BY_SALES = ['LeadCaptured', 'LeadHandedToSales', 'LeadRejectedBySales'];

const FILE = [...rejected('crm:a', 'no_budget'), ...rejected('crm:b', 'budget_cut')];

maybe('a file run again under rules that now take a refused lead appends it', async () => {
  const first = await importLines(FILE);
  expect(first).toMatchObject({ importedLeads: 1, refusedLeads: 1 });
  expect(first.refused[0]?.reason).toMatch(/budget_cut is not in the shared list/);
  expect(await typesOf('crm:b')).toEqual([]);

  await addRejectionReason(store, 'budget_cut');
  const again = await importLines(FILE);

  // crm:b, which the first run's decision refused, is remembered and read again; crm:a is not.
  expect(again).toMatchObject({ importedLeads: 1, alreadyImportedLeads: 0, refused: [] });
  expect(await typesOf('crm:b')).toEqual(REJECTED_BY_SALES);
  // And a third run, under the same rules, adds nothing.
  expect(await importLines(FILE)).toMatchObject({
    importedLeads: 0,
    alreadyImportedLeads: 1,
    refused: [],
  });
});

maybe(
  'a run killed under the old rules, resumed under the new, appends what they take',
  async () => {
    // Killed once the first lead's block is written: the checkpoint counts crm:a done.
    const killed = new Error('killed');
    await expect(
      importLines(
        [...rejected('crm:b', 'budget_cut'), ...rejected('crm:a', 'no_budget')],
        1,
        () => {
          throw killed;
        },
      ),
    ).rejects.toBe(killed);
    expect(await typesOf('crm:b')).toEqual([]);

    await addRejectionReason(store, 'budget_cut');
    const resumed = await importLines([
      ...rejected('crm:b', 'budget_cut'),
      ...rejected('crm:a', 'no_budget'),
    ]);

    expect(resumed).toMatchObject({ resumedAfterLeads: 1, refused: [] });
    expect(await typesOf('crm:b')).toEqual(REJECTED_BY_SALES);
    expect(await typesOf('crm:a')).toEqual(REJECTED_BY_SALES);
  },
);

maybe(
  'a re-run takes a lead whose row was refused for a time then ahead of the clock',
  async () => {
    const lines = [...rejected('crm:a', 'no_budget'), ...rejected('crm:b', 'no_budget')];
    // The first run happens on January 2nd: crm:b's rejection on the 3rd is in the future.
    const when = jest.spyOn(Date, 'now').mockReturnValue(Date.parse('2025-01-02T12:00:00Z'));
    const first = await importLines(lines);
    when.mockRestore();
    expect(first.refused.map(({ leadId, reason }) => [leadId, reason])).toEqual([
      [
        'crm:a',
        expect.stringMatching(
          /occurredAt: "2025-01-03T10:00:00.000Z" is in the future: after 2025-01-02T12:00:00Z/,
        ),
      ],
      [
        'crm:b',
        expect.stringMatching(
          /occurredAt: "2025-01-03T10:00:00.000Z" is in the future: after 2025-01-02T12:00:00Z/,
        ),
      ],
    ]);

    const again = await importLines(lines);

    expect(again).toMatchObject({ importedLeads: 2, refused: [] });
    expect(await typesOf('crm:a')).toEqual(REJECTED_BY_SALES);
    expect(await typesOf('crm:b')).toEqual(REJECTED_BY_SALES);
  },
);

maybe(
  'a re-run after an upgrade takes a lead whose rows named no lead the older build could read',
  async () => {
    // The file names crm:c between crm:a and crm:b; an older build read none of crm:c's rows as
    // naming a lead (a lead id form it did not know), so its plan was crm:a, crm:b and orphans.
    const file = path.join(dir, 'history.jsonl');
    await writeFile(
      file,
      `${[...rejected('crm:a', 'no_budget'), ...rejected('crm:c', 'no_budget'), ...rejected('crm:b', 'no_budget')].join('\n')}\n`,
    );
    const source = await readCanonicalJsonl(file);
    const plan = planImport(source);
    const { definition } = await definitionInForce(store);
    const run = (ran: ImportPlan) =>
      runImport({
        store,
        plan: ran,
        sourceHash: source.hash,
        blockEvents: 1,
        decision: { definition, actor: importActor(file), correlationId: 'import-upgrade-spec' },
      });
    const older: ImportPlan = {
      ...plan,
      leads: plan.leads.filter((lead) => lead.leadId !== 'crm:c'),
      orphanRows: (plan.leads.find((lead) => lead.leadId === 'crm:c')?.facts ?? []).map((fact) => ({
        ...fact.where,
        leadId: null,
        reason: 'leadId is not a lead id',
      })),
    };
    expect(await run(older)).toMatchObject({ importedLeads: 2, refusedLeads: 0 });
    expect((await run(older)).refused).toHaveLength(3);

    // The newer build reads them: crm:c is the plan's second lead, below the checkpoint.
    const newer = await run(plan);

    expect(newer).toMatchObject({ resumedAfterLeads: 2, importedLeads: 1, refused: [] });
    expect(await typesOf('crm:c')).toEqual(REJECTED_BY_SALES);
  },
);

maybe('a re-run whose file refuses the same rows as before reads no done lead again', async () => {
  // crm:c's row is refused on every run alike (not a date): nothing about it can change.
  const lines = [
    ...rejected('crm:a', 'no_budget'),
    fact('crm:c', 'RecordTouchpoint', 2, { channel: 'email' }).replace(
      /"occurredAt":"[^"]*"/,
      '"occurredAt":"last Tuesday"',
    ),
    ...rejected('crm:b', 'no_budget'),
  ];
  const first = await importLines(lines);
  expect(first).toMatchObject({ importedLeads: 2, refusedLeads: 1 });
  const reads = jest.spyOn(store, 'readStream');

  const again = await importLines(lines);

  // Named again, as the first run named it; the leads it wrote are not read to find that.
  expect(again.refused).toEqual(first.refused);
  expect(again).toMatchObject({ resumedAfterLeads: 3, importedLeads: 0, alreadyImportedLeads: 0 });
  const leadReads = reads.mock.calls.filter(([streamId]) => streamId.startsWith('lead-'));
  expect(leadReads).toEqual([]);
});

maybe(
  'a re-run that read every done lead records the refusals it found: the next reads none',
  async () => {
    const lines = [...rejected('crm:a', 'no_budget'), ...rejected('crm:b', 'no_budget')];
    // The first run happens on January 2nd: both rejections, on the 3rd, are in the future.
    const when = jest.spyOn(Date, 'now').mockReturnValue(Date.parse('2025-01-02T12:00:00Z'));
    expect((await importLines(lines)).refused).toHaveLength(2);
    when.mockRestore();
    // The recorded refusals are not the file's now: every done lead is read, both are taken.
    expect(await importLines(lines)).toMatchObject({ importedLeads: 2, refused: [] });
    const reads = jest.spyOn(store, 'readStream');

    // The digest was left as the first run wrote it: every later run read every lead again.
    const third = await importLines(lines);

    expect(third).toMatchObject({ importedLeads: 0, alreadyImportedLeads: 0, refused: [] });
    const leadReads = reads.mock.calls.filter(([streamId]) => streamId.startsWith('lead-'));
    expect(leadReads).toEqual([]);
  },
);
