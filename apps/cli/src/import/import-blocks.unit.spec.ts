/**
 * The import's deciding half: blocks of whole leads in plan order, resumable from any
 * lead, and the same blocks after the trip to and from the decider thread.
 */
import { defaultFunnelDefinition } from '@tandem/domain';
import {
  addDigests,
  decideBlocks,
  type DecidedBlock,
  type DoneLeads,
  refusalsDigest,
  storeRefusalKey,
} from './import-blocks';
import { fromWire, toWire } from './import-decider.wire';
import type { ImportFact } from './import-fact';
import type { PlannedLead } from './import-plan';

const decision = {
  definition: defaultFunnelDefinition,
  actor: { kind: 'system', id: 'tandem-import:spec', role: 'system' } as const,
  correlationId: 'import-spec',
};

const fact = (leadId: string, line: number, type: ImportFact['type'], data = {}): ImportFact => ({
  leadId,
  type,
  occurredAt: new Date(Date.UTC(2025, 0, 1, 0, line)).toISOString(),
  data,
  accountId: null,
  where: { file: 'f.jsonl', line },
});

/** A lead of `touches` + 1 facts: a capture and its touchpoints. */
function aLead(n: number, touches: number): PlannedLead {
  const leadId = `hubspot:${n}`;
  const capture = fact(leadId, n * 100, 'CaptureLead', {
    contact: { name: `Lead ${n}`, email: `lead${n}@example.com` },
    company: { name: 'Fabbrica Srl' },
    source: { channel: 'paid_search' },
    consent: { marketing: true },
  });
  const touchpoints = Array.from({ length: touches }, (_, i) =>
    fact(leadId, n * 100 + i + 1, 'RecordTouchpoint', { kind: 'page_view', channel: 'web' }),
  );
  return { leadId, facts: [capture, ...touchpoints], refusal: null };
}

const refusedLead: PlannedLead = {
  leadId: 'hubspot:99',
  facts: [],
  refusal: { file: 'f.jsonl', line: 9, leadId: 'hubspot:99', reason: 'bad row' },
};
const leads = [aLead(1, 2), aLead(2, 2), refusedLead, aLead(3, 0), aLead(4, 4)];

const shape = (blocks: readonly DecidedBlock[]) =>
  blocks.map((block) => ({
    leadsDone: block.leadsDone,
    leads: block.leads.map((lead) => ({
      leadId: lead.leadId,
      events: lead.fresh.ok ? lead.fresh.events.map((event) => event.eventId) : lead.fresh,
    })),
    refused: block.refused.map((row) => row.line),
  }));

describe('decideBlocks', () => {
  it('cuts whole leads into blocks of at least the block size, the last one ending the plan', () => {
    const blocks = [...decideBlocks(leads, 0, decision, 4)];
    expect(blocks.map((block) => block.leadsDone)).toEqual([2, 5]);
    expect(blocks.map((block) => block.leads.map((lead) => lead.leadId))).toEqual([
      ['hubspot:1', 'hubspot:2'],
      ['hubspot:3', 'hubspot:4'],
    ]);
    expect(blocks[1]?.refused).toEqual([refusedLead.refusal]);
    expect(blocks[0]?.leads.every((lead) => lead.fresh.ok)).toBe(true);
  });

  it('resumes after the leads a checkpoint counts, deciding the rest the same way', () => {
    const whole = shape([...decideBlocks(leads, 0, decision, 1)]);
    expect(whole.map((block) => block.leadsDone)).toEqual([1, 2, 4, 5]);
    const resumed = shape([...decideBlocks(leads, 2, decision, 1)]);
    expect(resumed).toEqual(whole.filter((block) => block.leadsDone > 2));
    // Nothing the done leads refused: no block to look at them again.
    expect([...decideBlocks(leads, 2, decision, 1)].some((block) => block.recheck)).toBe(false);
  });

  /** What the runs that wrote the checkpoint recorded: the store refused nothing, and these rows. */
  const doneRefusing = (rows = [refusedLead.refusal]): DoneLeads => ({
    storeRefused: [],
    fileRefusals: refusalsDigest(rows.flatMap((row) => (row === null ? [] : [row]))),
  });

  it('resumed past refusals, first hands back what the done places refused, for the report', () => {
    const resumed = [...decideBlocks(leads, 4, decision, 1, doneRefusing())];
    expect(resumed.map(({ leadsDone, recheck }) => ({ leadsDone, recheck }))).toEqual([
      { leadsDone: 4, recheck: true },
      { leadsDone: 5, recheck: false },
    ]);
    expect(resumed[0]?.refused).toEqual([refusedLead.refusal]);
    // Leads decided as new streams (written in bulk) are not looked at again.
    expect(resumed[0]?.leads).toEqual([]);
    const finished = [...decideBlocks(leads, leads.length, decision, 1, doneRefusing())];
    expect(
      finished.map(({ leadsDone, recheck, refused }) => ({ leadsDone, recheck, refused })),
    ).toEqual([{ leadsDone: 5, recheck: true, refused: [refusedLead.refusal] }]);
  });

  it('looks at every done lead again when the done places refuse rows the checkpoint does not hold', () => {
    const every = (blocks: readonly DecidedBlock[]) =>
      blocks.filter((block) => block.recheck).flatMap((block) => block.leads.map((l) => l.leadId));
    const all = ['hubspot:1', 'hubspot:2', 'hubspot:3'];
    // The row refused for another reason then (a time then ahead of the clock): it may not stand.
    const otherwise = doneRefusing([{ ...refusedLead.refusal!, reason: 'in the future' }]);
    expect(every([...decideBlocks(leads, 4, decision, 1, otherwise)])).toEqual(all);
    // Its last recheck block carries what makes the recorded digest the file's now, across the
    // decider thread too: written once every done lead is read, the next run reads none.
    const last = [...decideBlocks(leads, 4, decision, 1, otherwise)]
      .filter((block) => block.recheck)
      .at(-1) as DecidedBlock;
    const now = refusalsDigest([refusedLead.refusal!]);
    expect(addDigests(otherwise.fileRefusals, last.fileRefusalsCorrection ?? 0n)).toBe(now);
    expect(fromWire(structuredClone(toWire(last))).fileRefusalsCorrection).toBe(
      last.fileRefusalsCorrection,
    );
    // Nothing recorded (the row named no lead then, a newer build reads it as a lead's).
    expect(every([...decideBlocks(leads, 4, decision, 1, doneRefusing([]))])).toEqual(all);
    // The store refused some done lead: which one is recorded nowhere (an older build's count).
    const store = { ...doneRefusing(), storeRefused: null };
    expect(every([...decideBlocks(leads, 4, decision, 1, store)])).toEqual(all);
    expect(every([...decideBlocks(leads, 4, decision, 1, doneRefusing())])).toEqual([]);
    // Remembered by its key: that lead alone is read again.
    const one = { ...doneRefusing(), storeRefused: [storeRefusalKey('hubspot:2')] };
    expect(every([...decideBlocks(leads, 4, decision, 1, one)])).toEqual(['hubspot:2']);
  });

  it('writes a lead merging into a survivor the plan holds later right after it, resumed or not', () => {
    // 1 merges into 3 (captured later in the plan), 3 into 4: 1 waits for 3, which waits for 4.
    const mergeInto = (lead: PlannedLead, into: string, line: number): PlannedLead => ({
      ...lead,
      facts: [...lead.facts, fact(lead.leadId, line, 'MergeLead', { intoLeadId: into })],
    });
    const chain = [
      mergeInto(aLead(1, 0), 'hubspot:3', 990),
      aLead(2, 0),
      mergeInto(aLead(3, 0), 'hubspot:4', 995),
      aLead(4, 0),
    ];
    const order = (blocks: readonly DecidedBlock[]) =>
      blocks.map((block) => [block.leadsDone, block.leads.map((lead) => lead.leadId)]);
    const whole = [...decideBlocks(chain, 0, decision, 1)];
    expect(order(whole)).toEqual([
      [2, ['hubspot:2']],
      [4, ['hubspot:4', 'hubspot:3', 'hubspot:1']],
    ]);
    // Resumed after lead 2: leads 1 and 3, placed before the checkpoint, are written still.
    expect(order([...decideBlocks(chain, 2, decision, 1)])).toEqual(order(whole.slice(1)));
  });

  it('crosses to and from the decider thread unchanged, facts included', () => {
    const blocks = [...decideBlocks(leads, 0, decision, 4)];
    const crossed = blocks.map((block) => fromWire(structuredClone(toWire(block))));
    expect(shape(crossed)).toEqual(shape(blocks));
    expect(crossed[1]?.leads[1]?.facts()).toEqual(leads[4]);
    const [original, copy] = [blocks[0]?.leads[0]?.fresh, crossed[0]?.leads[0]?.fresh];
    expect(copy).toEqual(original);
  });
});
