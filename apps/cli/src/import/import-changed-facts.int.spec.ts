/**
 * A later export that gives a fact imported before otherwise — a won deal's amount corrected, a
 * touch's campaign fixed, a contact's name — derives the event ids the store holds (they come
 * from lead, place, type and time, not content), so the lead read as imported already and the
 * correction was dropped without a word. Now each such fact is named, with its line and the
 * fields that differ, and not applied: the store keeps what was imported. Personal fields are
 * sealed in the store and compared opened. On PGlite (in memory), sealed as the CLI opens it.
 */
import * as path from 'node:path';
import { leadStreamId } from '@tandem/domain';
import type { EventStore } from '@tandem/event-store';
import { pgliteUnavailableReason } from '@tandem/testing';
import { onDay } from './testing/canonical-facts';
import { sealedStorePerTest } from './testing/sealed-store-per-test';

jest.setTimeout(120_000);

const maybe = pgliteUnavailableReason() === null ? it : it.skip;

const fact = (leadId: string, type: string, day: number, data: object = {}) =>
  JSON.stringify({ leadId, type, occurredAt: onDay(day), data });

/** A lead captured, touched, handed over, accepted, qualified, its deal opened and won. */
const won = (leadId: string, edits: { name?: string; campaign?: string; amount?: number } = {}) => [
  fact(leadId, 'CaptureLead', 1, {
    contact: {
      name: edits.name ?? 'Ada Lovelace',
      email: `${leadId.replace(':', '.')}@example.com`,
    },
    company: { name: 'Acme' },
    source: { channel: 'organic_search' },
    productInterest: null,
    timeframe: null,
    consent: { marketing: true },
  }),
  fact(leadId, 'RecordTouchpoint', 2, {
    kind: 'webinar',
    channel: 'web',
    campaign: edits.campaign ?? 'spring',
    content: 'notes',
  }),
  fact(leadId, 'HandLeadToSalesDirectly', 3, { owner: 'marco.bianchi', source: 'outbound' }),
  fact(leadId, 'AcceptLead', 3),
  fact(leadId, 'QualifyLeadAsSql', 3, { criteriaMet: ['budget', 'authority', 'need'] }),
  fact(leadId, 'OpenOpportunity', 4, { stage: 'discovery', amount: 10_000, currency: 'EUR' }),
  fact(leadId, 'WinDeal', 5, { amount: edits.amount ?? 10_000 }),
];
const captured = (leadId: string) => won(leadId).slice(0, 1);

const perTest = sealedStorePerTest('tandem-import-changed-', 'import-changed-spec');
const importLines = perTest.importLines;
let dir: string;
let store: EventStore;
beforeEach(() => {
  dir = perTest.dir();
  store = perTest.store();
});

const dealWonAmount = async (leadId: string) =>
  (await store.readStream(leadStreamId(leadId))).find((event) => event.type === 'DealWon')?.data
    .amount;

maybe(
  'names each fact a re-export changed, with its line and fields, and applies none',
  async () => {
    const january = [...won('crm:a'), ...captured('crm:b')];
    expect(await importLines('january.jsonl', january)).toMatchObject({ importedLeads: 2 });
    const head = await store.headPosition();

    // February's export: the deal's amount corrected, the touch's campaign fixed, a name changed.
    const february = [
      ...won('crm:a', { name: 'Ada King', campaign: 'spring-webinar', amount: 12_500 }),
      ...captured('crm:b'),
    ];
    const file = path.join(dir, 'february.jsonl');
    const outcome = await importLines('february.jsonl', february);

    expect(outcome).toMatchObject({
      importedLeads: 0,
      importedEvents: 0,
      alreadyImportedLeads: 1,
      refused: [],
      changedLeads: 1,
      changed: [
        { file, line: 1, leadId: 'crm:a', type: 'CaptureLead', fields: ['contact.name'] },
        { file, line: 2, leadId: 'crm:a', type: 'RecordTouchpoint', fields: ['campaign'] },
        { file, line: 7, leadId: 'crm:a', type: 'WinDeal', fields: ['amount'] },
      ],
    });
    expect(await store.headPosition()).toBe(head);
    expect(await dealWonAmount('crm:a')).toBe(10_000);

    // Run again, the same file names them again (its checkpoint says done: every lead is re-read).
    const again = await importLines('february.jsonl', february);
    expect(again).toMatchObject({ resumedAfterLeads: 2, changedLeads: 1 });
    expect(again.changed).toEqual(outcome.changed);
  },
);

maybe('names a capture whose account (ABM) a re-export changed', async () => {
  const withAccount = (accountId: string) =>
    captured('crm:a').map((line) => JSON.stringify({ ...JSON.parse(line), accountId }));
  await importLines('january.jsonl', withAccount('fabbrica'));
  const outcome = await importLines('february.jsonl', withAccount('fabbrica-spa'));
  expect(outcome).toMatchObject({
    changedLeads: 1,
    changed: [{ line: 1, type: 'CaptureLead', fields: ['accountId'] }],
  });
});

maybe('a re-export that changed nothing, in another order, names nothing', async () => {
  await importLines('january.jsonl', [...won('crm:a'), ...captured('crm:b')]);
  const outcome = await importLines('export.jsonl', [
    ...captured('crm:b'),
    ...won('crm:a').reverse(),
  ]);
  expect(outcome).toMatchObject({ alreadyImportedLeads: 2, changedLeads: 0, changed: [] });
});

maybe('a later export with new facts appends them and names the fact it changed', async () => {
  await importLines('january.jsonl', won('crm:a').slice(0, 6));
  const outcome = await importLines('february.jsonl', won('crm:a', { campaign: 'fixed' }));
  expect(outcome).toMatchObject({
    importedLeads: 1,
    importedEvents: 1,
    changedLeads: 1,
    changed: [{ line: 2, type: 'RecordTouchpoint', fields: ['campaign'] }],
  });
  expect(await dealWonAmount('crm:a')).toBe(10_000);
});

maybe.each([
  ['later', onDay(6)],
  ['earlier', onDay(4, 12)],
])(
  'a fact whose time a re-export moved %s is refused as changed, not recorded twice',
  async (_, at) => {
    await importLines('january.jsonl', won('crm:a'));
    const head = await store.headPosition();
    const moved = won('crm:a').map((line) =>
      line.includes('"WinDeal"') ? line.replace(onDay(5), at) : line,
    );

    const outcome = await importLines('february.jsonl', moved);

    expect(outcome.refused).toEqual([
      {
        file: path.join(dir, 'february.jsonl'),
        line: 7,
        leadId: 'crm:a',
        reason: `WinDeal: changed since imported: not applied: occurredAt was ${onDay(5)}, the file gives ${at}; an import never moves a fact it stored`,
      },
    ]);
    expect(await store.headPosition()).toBe(head);
  },
);
