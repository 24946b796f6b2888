/**
 * A lead the store holds already, captured through the API (or by another file's import), that
 * the file captures too: the import does not record it again, and its report says so as what it
 * is — in the store before, captured when and by whom — counted apart from the rows the file gets
 * wrong, not as the API's "was already captured; nothing was recorded again", which reads to an
 * importer as an error of the file. On PGlite (in memory), sealed as the CLI opens it.
 */
import {
  decideLead,
  defaultFunnelDefinition,
  initialLeadState,
  leadStreamId,
} from '@tandem/domain';
import { type EventStore, writeEvents } from '@tandem/event-store';
import { pgliteUnavailableReason } from '@tandem/testing';
import { captureFact, linesOf, onDay, touchFact } from './testing/canonical-facts';
import { sealedStorePerTest } from './testing/sealed-store-per-test';
import { parseImportCommand } from './import-commands';
import { importSummary } from './import.command';

jest.setTimeout(120_000);

const maybe = pgliteUnavailableReason() === null ? it : it.skip;

const perTest = sealedStorePerTest('tandem-import-captured-before-', 'import-captured-spec');
let store: EventStore;
beforeEach(() => {
  store = perTest.store();
});

/** crm:live captured through the API on day 3 by the web forms' key, as its handler writes it. */
async function captureLive(leadId: string): Promise<void> {
  const { data } = captureFact(leadId, onDay(3), 'Grace');
  const parsed = parseImportCommand('CaptureLead', { ...data, source: { channel: 'paid_search' } });
  if (!parsed.ok) throw new Error(parsed.reason);
  const now = onDay(3);
  const events = decideLead(parsed.command, initialLeadState(), {
    leadId,
    definition: defaultFunnelDefinition,
    now,
  });
  await writeEvents(
    store,
    leadStreamId(leadId),
    events,
    {
      leadId,
      accountId: null,
      occurredAt: now,
      correlationId: 'live',
      causationId: null,
      actor: { kind: 'service', id: 'api-key:web-forms', role: 'marketing' },
    },
    'no_stream',
  );
}

const FILE = linesOf([
  captureFact('crm:a', onDay(1)),
  captureFact('crm:live', onDay(1), 'Grace'),
  touchFact('crm:live', 't-live-2', onDay(2)),
  captureFact('crm:b', onDay(1)),
]);

const summaryOf = (outcome: Awaited<ReturnType<typeof perTest.importLines>>) =>
  importSummary({
    source: 'crm.jsonl',
    sourceHash: 'f00d',
    preset: 'canonical',
    store: 'pglite',
    rulesVersion: 1,
    rows: 4,
    ...outcome,
    eventsPerSecond: 1,
  });

maybe(
  'names a lead captured through the API before the import as in the store, by whom',
  async () => {
    await captureLive('crm:live');

    const outcome = await perTest.importLines('crm.jsonl', FILE);

    expect(outcome).toMatchObject({ importedLeads: 2, refused: [], inStoreLeads: 1 });
    expect(outcome.inStore).toEqual([
      {
        file: expect.stringMatching(/crm\.jsonl$/) as unknown,
        line: 2,
        leadId: 'crm:live',
        capturedAt: onDay(3),
        capturedBy: 'service api-key:web-forms',
        channel: 'paid_search',
        facts: 2,
      },
    ]);
    const summary = summaryOf(outcome);
    expect(summary).not.toMatch(/nothing was recorded again|refused/);
    expect(summary.split('\n').slice(1)).toEqual([
      '1 leads were in the store before this import (captured through the API, or by another ' +
        "import): the file's facts for them not applied:",
      `  ${outcome.inStore[0]?.file ?? ''}:2 lead crm:live: captured ${onDay(3)} by service api-key:web-forms ` +
        "(channel paid_search); the file's 2 facts for it not applied",
    ]);
    // Nothing of the file's was written on it, and a re-run names it again.
    expect((await store.readStream(leadStreamId('crm:live'))).map((e) => e.type)).toEqual([
      'LeadCaptured',
    ]);
    const again = await perTest.importLines('crm.jsonl', FILE);
    expect(again.inStore).toEqual(outcome.inStore);
  },
);

maybe(
  'a re-run of an unchanged file names a lead captured live again, reading no other done lead',
  async () => {
    await captureLive('crm:live');
    const outcome = await perTest.importLines('crm.jsonl', FILE);
    expect(outcome).toMatchObject({ importedLeads: 2, inStoreLeads: 1 });
    // The store's refusals were counted, not named: every re-run read every done lead again.
    const reads = jest.spyOn(store, 'readStream');

    const again = await perTest.importLines('crm.jsonl', FILE);

    expect(again).toMatchObject({ importedLeads: 0, inStore: outcome.inStore });
    const leadReads = reads.mock.calls
      .map(([streamId]) => streamId)
      .filter((streamId) => streamId.startsWith('lead-'));
    expect(new Set(leadReads)).toEqual(new Set([leadStreamId('crm:live')]));
  },
);
