/**
 * An import that names a lead erased since it was imported (a CRM re-export, a later export
 * with new facts) goes on: the erased lead is found imported already, or refused for its new
 * facts with the decider's reason, and the other leads of its block are written. Its shredded
 * key refuses any sealing, so the bulk append fails on it before the store sees the stream.
 * A merge into it is refused as the API refuses it, even where the file captures it too.
 * An imported capture is LeadCaptured v2: its UTM content sealed like the e-mail, and shredded
 * by the erasure. On PGlite (in memory) sealed as the CLI opens it.
 */
import { ERASED_VALUE, isSealedValue, leadStreamId } from '@tandem/domain';
import { type EventStore, supportsPersonalData } from '@tandem/event-store';
import { pgliteUnavailableReason } from '@tandem/testing';
import { eraseLead } from './testing/erase-lead';
import { sealedStorePerTest } from './testing/sealed-store-per-test';

jest.setTimeout(120_000);

const maybe = pgliteUnavailableReason() === null ? it : it.skip;

const fact = (leadId: string, type: string, day: number, data: object) =>
  JSON.stringify({ leadId, type, occurredAt: `2025-01-0${day}T10:00:00Z`, data });
const capture = (leadId: string) =>
  fact(leadId, 'CaptureLead', 1, {
    contact: { name: 'Ada Lovelace', email: `${leadId.replace(':', '.')}@example.com` },
    company: { name: 'Acme' },
    source: { channel: 'organic' },
    productInterest: null,
    timeframe: null,
    consent: { marketing: false },
  });
const touch = (leadId: string, day: number) =>
  fact(leadId, 'RecordTouchpoint', day, { kind: 'webinar', channel: 'webinar', content: 'notes' });

const perTest = sealedStorePerTest('tandem-import-erased-', 'import-erased-spec');
const importLines = perTest.importLines;
let store: EventStore;
beforeEach(() => {
  store = perTest.store();
});

const typesOf = async (leadId: string) =>
  (await store.readStream(leadStreamId(leadId))).map((event) => event.type);

maybe('finds an erased lead of a re-exported file imported already', async () => {
  await importLines('january.jsonl', [capture('crm:a'), touch('crm:a', 2), capture('crm:b')]);
  await eraseLead(store, 'crm:a');

  // The same facts in another order: another file, so no checkpoint says it was imported.
  const again = await importLines('export.jsonl', [
    capture('crm:b'),
    touch('crm:a', 2),
    capture('crm:a'),
  ]);

  expect(again).toMatchObject({ importedLeads: 0, alreadyImportedLeads: 2, refusedLeads: 0 });
  expect(await typesOf('crm:a')).toEqual(['LeadCaptured', 'TouchpointRecorded', 'LeadErased']);
});

/**
 * January's crm:a (a capture and a touch), then `erase` on it, then February's file: the same
 * two facts, a new touch (line 3) and another lead, crm:c. The new touch is refused with
 * `reason`, the lead keeps what it held, crm:c is written.
 */
async function februaryRefusesItsNewTouch(
  erase: () => Promise<void>,
  reason: unknown,
): Promise<void> {
  await importLines('january.jsonl', [capture('crm:a'), touch('crm:a', 2)]);
  await erase();
  const held = await typesOf('crm:a');

  const february = await importLines('february.jsonl', [
    capture('crm:a'),
    touch('crm:a', 2),
    touch('crm:a', 3),
    capture('crm:c'),
  ]);

  expect(february).toMatchObject({ importedLeads: 1, refusedLeads: 1 });
  expect(february.refused).toEqual([expect.objectContaining({ line: 3, leadId: 'crm:a', reason })]);
  expect(await typesOf('crm:a')).toEqual(held);
  expect(await typesOf('crm:c')).toEqual(['LeadCaptured']);
}

maybe('refuses an erased lead its new facts, and writes the rest of its block', async () => {
  await februaryRefusesItsNewTouch(
    () => eraseLead(store, 'crm:a'),
    expect.stringContaining('erased'),
  );
  expect(await typesOf('crm:a')).toEqual(['LeadCaptured', 'TouchpointRecorded', 'LeadErased']);
});

maybe('refuses the new facts of a lead whose key an unfinished erasure destroyed', async () => {
  // A person erased in several appends, the process killed between them: this lead's key is
  // destroyed, its LeadErased not recorded yet (execute-lead-command.handler.ts).
  await februaryRefusesItsNewTouch(async () => {
    if (!supportsPersonalData(store)) throw new Error('the CLI’s store seals personal data');
    await store.shredLeadKeys(['crm:a']);
  }, 'RecordTouchpoint: lead crm:a was erased: no personal data can be recorded for it');
  expect(await typesOf('crm:a')).toEqual(['LeadCaptured', 'TouchpointRecorded']);
});

maybe('refuses a merge into a lead the file captures but the store holds erased', async () => {
  await importLines('january.jsonl', [capture('crm:a')]);
  await eraseLead(store, 'crm:a');

  const february = await importLines('february.jsonl', [
    capture('crm:a'),
    capture('crm:m'),
    fact('crm:m', 'MergeLead', 3, { intoLeadId: 'crm:a' }),
  ]);

  expect(february).toMatchObject({ importedLeads: 0, alreadyImportedLeads: 1, refusedLeads: 1 });
  expect(february.refused).toEqual([
    expect.objectContaining({
      line: 3,
      leadId: 'crm:m',
      reason: 'MergeLead: lead crm:a was erased: a lead cannot be merged into an erased lead',
    }),
  ]);
  expect(await typesOf('crm:m')).toEqual([]);
});

maybe(
  'writes a capture as LeadCaptured v2: its UTM content sealed, then shredded by erasure',
  async () => {
    const content = 'newsletter-to-ada-at-example.com';
    await importLines('utm.jsonl', [
      fact('crm:u', 'CaptureLead', 1, {
        contact: { name: 'Ada Lovelace', email: 'ada.u@example.com' },
        company: { name: 'Acme' },
        source: { channel: 'email', medium: 'newsletter', content },
        productInterest: null,
        timeframe: null,
        consent: { marketing: false },
      }),
      capture('crm:b'), // a block of more than one lead: the bulk append, sealing as it goes
    ]);
    if (!supportsPersonalData(store)) throw new Error('the CLI’s store seals personal data');
    const personalData = store.personalData;
    const [captured] = await store.readStream(leadStreamId('crm:u'));
    expect(captured?.schemaVersion).toBe(2);
    const source = (captured?.data as { source: Record<string, unknown> }).source;
    expect(isSealedValue(source.content)).toBe(true);
    expect(source.medium).toBe('newsletter'); // what the views group by stays plain
    const sealedFor = (captured?.metadata as { leadId: string }).leadId;
    const openedContent = async () => {
      const [opened] = await personalData.openLeadEvents(
        sealedFor,
        await store.readStream(leadStreamId('crm:u')),
      );
      return (opened?.data as { source: Record<string, unknown> }).source.content;
    };
    expect(await openedContent()).toBe(content);

    await eraseLead(store, 'crm:u');
    expect(await openedContent()).toBe(ERASED_VALUE);
  },
);
