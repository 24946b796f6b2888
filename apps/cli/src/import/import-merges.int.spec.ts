/**
 * An import refuses the merges the API refuses (execute-lead-command.handler.ts): into a lead
 * never captured, into one merged away (so a→b then b→a cannot leave a cycle with no
 * survivor), into one erased — each refused by the merge's file and line with its whole lead,
 * nothing of it appended; and a run killed between blocks and resumed decides the same as
 * one that never stopped. On PGlite (in memory), the store the CLI embeds.
 */
import * as path from 'node:path';
import { leadStreamId } from '@tandem/domain';
import type { EventStore } from '@tandem/event-store';
import { pgliteUnavailableReason } from '@tandem/testing';
import {
  captureFact,
  expectKilledRunsResumeAsWhole,
  onDay,
  touchFact,
} from './testing/canonical-facts';
import { eraseLead } from './testing/erase-lead';
import { importLines as importFile } from './testing/import-lines';
import { storesPerTest } from './testing/stores-per-test';
import type { ImportOutcome, ImportProgress } from './import-runner';

jest.setTimeout(120_000);

const maybe = pgliteUnavailableReason() === null ? it : it.skip;

const capture = (leadId: string, day: number) =>
  JSON.stringify({
    leadId,
    type: 'CaptureLead',
    occurredAt: `2025-01-0${day}T10:00:00Z`,
    data: {
      contact: { name: 'Ada', email: `${leadId.replace(':', '.')}@example.com` },
      company: { name: 'Acme' },
      source: { channel: 'organic' },
      productInterest: null,
      timeframe: null,
      consent: { marketing: false },
    },
  });
const merge = (leadId: string, intoLeadId: string, day: number) =>
  JSON.stringify({
    leadId,
    type: 'MergeLead',
    occurredAt: `2025-01-0${day}T10:00:00Z`,
    data: { intoLeadId },
  });

const stores = storesPerTest('tandem-import-merges-');
const openStore = stores.open;

const importLines = (
  store: EventStore,
  name: string,
  lines: readonly string[],
  onProgress?: (progress: ImportProgress) => void,
): Promise<ImportOutcome> =>
  importFile({
    store,
    file: path.join(stores.dir(), name),
    lines,
    blockEvents: 1, // a block per lead: survivors and duplicates land in different blocks
    correlationId: 'import-merges-spec',
    onProgress,
  });

const typesOf = async (store: EventStore, leadId: string) =>
  (await store.readStream(leadStreamId(leadId))).map((event) => event.type);

const refusals = (outcome: ImportOutcome) =>
  outcome.refused.map(({ line, leadId, reason }) => ({ line, leadId, reason }));

/** The cycle: a into b, then b into a; and before it a plain merge c into d that must land. */
const cycle = [
  capture('crm:c', 1),
  merge('crm:c', 'crm:d', 4),
  capture('crm:a', 1),
  capture('crm:b', 1),
  merge('crm:a', 'crm:b', 2),
  merge('crm:b', 'crm:a', 3),
  capture('crm:d', 2),
];

maybe(
  'refuses a merge cycle: b into a after a into b, and then a, whose survivor is gone',
  async () => {
    const store = await openStore();

    const outcome = await importLines(store, 'cycle.jsonl', cycle);

    expect(refusals(outcome)).toEqual([
      {
        line: 5,
        leadId: 'crm:a',
        reason: expect.stringMatching(
          /^MergeLead: lead crm:b does not exist: its own rows are refused \(.*cycle\.jsonl line 6\)$/,
        ),
      },
      {
        line: 6,
        leadId: 'crm:b',
        reason:
          'MergeLead: lead crm:a was itself merged into another lead: merge into the lead it was merged into',
      },
    ]);
    // c's two events, d's capture, and d's record of c merged into it (ADR 0016).
    expect(outcome).toMatchObject({ importedLeads: 2, importedEvents: 4, refusedLeads: 2 });
    expect(await typesOf(store, 'crm:a')).toEqual([]);
    expect(await typesOf(store, 'crm:b')).toEqual([]);
    // A survivor captured later in the file than its duplicate is named still counts.
    expect(await typesOf(store, 'crm:c')).toEqual(['LeadCaptured', 'LeadMerged']);
    expect(await typesOf(store, 'crm:d')).toEqual(['LeadCaptured', 'DuplicateMergedIn']);
  },
);

maybe('refuses a merge into a lead neither the file nor the store holds', async () => {
  const store = await openStore();

  const outcome = await importLines(store, 'ghost.jsonl', [
    capture('crm:e', 1),
    merge('crm:e', 'crm:ghost', 2),
    merge('crm:f', 'crm:g', 3),
    capture('crm:f', 1),
    capture('crm:g', 4), // captured, but only after f's merge into it
  ]);

  expect(refusals(outcome)).toEqual([
    { line: 2, leadId: 'crm:e', reason: 'MergeLead: lead crm:ghost does not exist' },
    {
      line: 3,
      leadId: 'crm:f',
      reason:
        'MergeLead: lead crm:g does not exist at 2025-01-03T10:00:00Z: the file captures it at 2025-01-04T10:00:00Z',
    },
  ]);
  expect(await typesOf(store, 'crm:e')).toEqual([]);
  expect(await typesOf(store, 'crm:f')).toEqual([]);
  expect(await typesOf(store, 'crm:g')).toEqual(['LeadCaptured']);
});

maybe('refuses a merge into a lead the store holds erased or merged away', async () => {
  const store = await openStore();
  await importLines(store, 'first.jsonl', [
    capture('crm:z', 1),
    capture('crm:m', 1),
    capture('crm:n', 1),
    merge('crm:m', 'crm:n', 2),
    capture('crm:live', 1),
  ]);
  await eraseLead(store, 'crm:z');

  const outcome = await importLines(store, 'second.jsonl', [
    capture('crm:x', 3),
    merge('crm:x', 'crm:z', 4),
    capture('crm:y', 3),
    merge('crm:y', 'crm:m', 4),
    capture('crm:w', 3),
    merge('crm:w', 'crm:live', 4),
  ]);

  expect(refusals(outcome)).toEqual([
    {
      line: 2,
      leadId: 'crm:x',
      reason: 'MergeLead: lead crm:z was erased: a lead cannot be merged into an erased lead',
    },
    {
      line: 4,
      leadId: 'crm:y',
      reason:
        'MergeLead: lead crm:m was itself merged into another lead: merge into the lead it was merged into',
    },
  ]);
  expect(await typesOf(store, 'crm:x')).toEqual([]);
  expect(await typesOf(store, 'crm:y')).toEqual([]);
  expect(await typesOf(store, 'crm:w')).toEqual(['LeadCaptured', 'LeadMerged']);
  expect(await typesOf(store, 'crm:live')).toEqual(['LeadCaptured', 'DuplicateMergedIn']);
});

maybe(
  'refuses a merge whose survivor is erased live between its check and its append',
  async () => {
    const store = await openStore();
    await importLines(store, 'first.jsonl', [capture('crm:s', 1)]);
    // The race, made certain: the first merge's append (with crm:s's record, crm:s checked live)
    // lets a live erasure of crm:s land just before it reaches the store.
    let raced = false;
    const racing: EventStore = Object.create(store) as EventStore;
    racing.appendToStreams = async (appends) => {
      if (!raced) {
        raced = true;
        await eraseLead(store, 'crm:s');
      }
      return store.appendToStreams(appends);
    };

    const outcome = await importLines(racing, 'second.jsonl', [
      capture('crm:t', 3),
      merge('crm:t', 'crm:s', 4),
    ]);

    expect(raced).toBe(true);
    expect(refusals(outcome)).toEqual([
      {
        line: 2,
        leadId: 'crm:t',
        reason: 'MergeLead: lead crm:s was erased: a lead cannot be merged into an erased lead',
      },
    ]);
    expect(await typesOf(store, 'crm:t')).toEqual([]);
  },
);

maybe(
  'a run killed after its first block and resumed refuses what a whole run refuses',
  async () => {
    // Lead p is the first block; c merges into d, which the file captures later: c is written
    // right after d, in d's block, whether the run was killed in between or not.
    const lines = [capture('crm:p', 1), ...cycle];
    const whole = await openStore();
    const wholeOutcome = await importLines(whole, 'cycle.jsonl', lines);

    const resumed = await openStore();
    const killed = new Error('killed after the first block');
    await expect(
      importLines(resumed, 'cycle.jsonl', lines, () => {
        throw killed;
      }),
    ).rejects.toBe(killed);
    expect(await typesOf(resumed, 'crm:c')).toEqual([]);
    const rest = await importLines(resumed, 'cycle.jsonl', lines);

    // Lead p, the first block, was written before the kill; c, a, b and d are judged after it.
    expect(rest.resumedAfterLeads).toBe(1);
    expect(refusals(rest)).toEqual(refusals(wholeOutcome));
    for (const leadId of ['crm:a', 'crm:b', 'crm:c', 'crm:d']) {
      const ids = async (store: EventStore) =>
        (await store.readStream(leadStreamId(leadId))).map(({ eventId, type }) => [eventId, type]);
      expect(await ids(resumed)).toEqual(await ids(whole));
    }
    expect(await typesOf(resumed, 'crm:c')).toEqual(['LeadCaptured', 'LeadMerged']);
    expect(await typesOf(resumed, 'crm:b')).toEqual([]);
  },
);

maybe(
  "a touch repeated on a lead after its merge is the lead's own retry, not a refusal nor a second touch",
  async () => {
    const store = await openStore();
    const touch = (day: number) =>
      JSON.stringify({
        leadId: 'crm:m',
        type: 'RecordTouchpoint',
        occurredAt: `2025-01-0${day}T10:00:00Z`,
        data: { touchpointId: 'crm-touch-9', kind: 'webinar', channel: 'web' },
      });
    const lines = [
      capture('crm:s', 1),
      capture('crm:m', 1),
      touch(2),
      merge('crm:m', 'crm:s', 3),
      touch(4),
    ];
    const outcome = await importLines(store, 'retried.jsonl', lines);
    expect(outcome).toMatchObject({ importedLeads: 2, refusedLeads: 0 });
    expect(await typesOf(store, 'crm:m')).toEqual([
      'LeadCaptured',
      'TouchpointRecorded',
      'LeadMerged',
    ]);
    expect(await typesOf(store, 'crm:s')).toEqual(['LeadCaptured', 'DuplicateMergedIn']);
    // The touch that recorded nothing is no gap in what was stored: a re-run finds it whole.
    const head = await store.headPosition();
    const again = await importLines(store, 'retried-again.jsonl', [...lines].reverse());
    expect(again).toMatchObject({ importedEvents: 0, alreadyImportedLeads: 2, refusedLeads: 0 });
    expect(await store.headPosition()).toBe(head);
  },
);

maybe(
  "a merge records the duplicate's touches on its survivor: the touch sent there later is a retry (ADR 0016)",
  async () => {
    const store = await openStore();
    const touch = (leadId: string, day: number) =>
      JSON.stringify({
        leadId,
        type: 'RecordTouchpoint',
        occurredAt: `2025-01-0${day}T10:00:00Z`,
        data: { touchpointId: 'crm-touch-7', kind: 'webinar', channel: 'web' },
      });
    await importLines(store, 'merged.jsonl', [
      capture('crm:m', 1),
      touch('crm:m', 2),
      merge('crm:m', 'crm:s', 3),
      capture('crm:s', 1),
    ]);
    const [, record] = await store.readStream(leadStreamId('crm:s'));
    expect(record).toMatchObject({
      type: 'DuplicateMergedIn',
      data: {
        mergedLeadId: 'crm:m',
        touchpoints: [
          {
            touchpointId: 'crm-touch-7',
            kind: 'webinar',
            channel: 'web',
            campaign: null,
            contentGiven: false,
          },
        ],
      },
      metadata: { leadId: 'crm:s', occurredAt: '2025-01-03T10:00:00.000Z' },
    });
    // A later export sends the touch to the survivor: held there, nothing is recorded.
    const head = await store.headPosition();
    const later = await importLines(store, 'later.jsonl', [touch('crm:s', 5)]);
    expect(later).toMatchObject({ importedEvents: 0, refusedLeads: 0 });
    expect(await store.headPosition()).toBe(head);
  },
);

maybe(
  'a run killed after any block and resumed reports every row a whole run refuses, and writes the same',
  async () => {
    const touch = (leadId: string, day: number, touchpointId: string) =>
      JSON.stringify({
        leadId,
        type: 'RecordTouchpoint',
        occurredAt: `2025-01-0${day}T10:00:00Z`,
        data: { touchpointId, kind: 'webinar', channel: 'web' },
      });
    // Refusals of every kind, early in the plan, and merges around them: the file's own (a bad
    // row, the cycle), the decider's (a second capture), the store's (a survivor it lacks).
    const lines = [
      capture('crm:q', 1),
      '{"leadId":"crm:bad","type":"CaptureLead","occurredAt":"2025-01-01T10:00:00Z","data":{}}',
      capture('crm:twice', 1),
      capture('crm:twice', 2),
      capture('crm:e', 1),
      merge('crm:e', 'crm:ghost', 2),
      touch('crm:q', 2, 'crm-touch-1'),
      touch('crm:q', 3, 'crm-touch-1'),
      merge('crm:q', 'crm:r', 4),
      capture('crm:r', 1),
      ...cycle,
    ];
    const whole = await openStore();
    const wholeOutcome = await importLines(whole, 'killed.jsonl', lines);
    const sorted = (outcome: ImportOutcome) => refusals(outcome).sort((a, b) => a.line - b.line);
    expect(sorted(wholeOutcome).map(({ leadId }) => leadId)).toEqual([
      'crm:bad',
      'crm:twice',
      'crm:e',
      'crm:a',
      'crm:b',
    ]);
    const leadIds = [
      ...new Set(lines.map((line) => (JSON.parse(line) as { leadId: string }).leadId)),
    ];
    const streams = async (store: EventStore) =>
      Promise.all(
        leadIds.map(async (leadId) =>
          (await store.readStream(leadStreamId(leadId))).map(({ eventId, type }) => [
            eventId,
            type,
          ]),
        ),
      );
    // A block per lead at most (blockEvents 1); every other kill point, for the suite's time.
    await expectKilledRunsResumeAsWhole({
      killPoints: Array.from({ length: wholeOutcome.leadsTotal / 2 }, (_, index) => 2 * index + 1),
      openStore,
      run: (store, onProgress) => importLines(store, 'killed.jsonl', lines, onProgress),
      streams,
      refusals: sorted,
      whole: { outcome: wholeOutcome, store: whole },
    });
  },
);

/**
 * A lead the file holds as new, that the store refuses when its block is written — captured
 * live before the import, or imported before and erased since — is refused by the writer, not
 * by the file. A run killed after that block's checkpoint never printed the refusal; the run
 * that resumes it (and the finished file run again) must still name it, and exit 1 as an
 * uninterrupted run does.
 */
const sortedRefusals = (outcome: ImportOutcome) =>
  [
    ...refusals(outcome),
    // A lead captured before (crm:live) is named apart from the refused rows.
    ...outcome.inStore.map(({ line, leadId, capturedBy }) => ({
      line,
      leadId,
      reason: `in the store before: captured by ${capturedBy}`,
    })),
  ].sort((a, b) => a.line - b.line);

/** A store holding crm:live (captured by another file) and crm:gone (imported, then erased). */
async function storeWithHistory(): Promise<EventStore> {
  const store = await openStore();
  await importLines(store, 'earlier.jsonl', [
    JSON.stringify(captureFact('crm:live', onDay(2), 'Grace')),
    capture('crm:gone', 1),
  ]);
  await eraseLead(store, 'crm:gone');
  return store;
}

// crm:live again under another name (a second capture: refused on the stream the store holds),
// crm:gone with a new touch (nothing is accepted after an erasure); both decide well as new.
const storeRefusedLines = [
  capture('crm:a', 1),
  capture('crm:live', 1),
  capture('crm:b', 1),
  capture('crm:gone', 1),
  JSON.stringify(touchFact('crm:gone', 'crm:gone-touch-3', onDay(3))),
  capture('crm:c', 1),
  JSON.stringify(touchFact('crm:c', 'crm:c-touch-2', onDay(2))),
];

maybe('a run killed after the store refused a lead, resumed, still names the refusal', async () => {
  const whole = await storeWithHistory();
  const wholeOutcome = await importLines(whole, 'file.jsonl', storeRefusedLines);
  expect(sortedRefusals(wholeOutcome).map(({ leadId }) => leadId)).toEqual([
    'crm:live',
    'crm:gone',
  ]);
  const streams = async (store: EventStore) =>
    Promise.all(
      ['crm:a', 'crm:live', 'crm:b', 'crm:gone', 'crm:c'].map(async (leadId) =>
        // The erasure's id is the ops command's own, random: only the import's are compared.
        (await store.readStream(leadStreamId(leadId))).map(({ eventId, type }) =>
          type === 'LeadErased' ? [type] : [eventId, type],
        ),
      ),
    );

  await expectKilledRunsResumeAsWhole({
    killPoints: Array.from({ length: wholeOutcome.leadsTotal - 1 }, (_, index) => index + 1),
    openStore: storeWithHistory,
    run: (store, onProgress) => importLines(store, 'file.jsonl', storeRefusedLines, onProgress),
    streams,
    refusals: sortedRefusals,
    whole: { outcome: wholeOutcome, store: whole },
  });
});
