/**
 * An import that names a lead erased since it was imported (a CRM re-export, a later export
 * with new facts) goes on: the erased lead is found imported already, or refused for its new
 * facts with the decider's reason, and the other leads of its block are written. Its shredded
 * key refuses any sealing, so the bulk append fails on it before the store sees the stream.
 * A merge into it is refused as the API refuses it, even where the file captures it too.
 * On PGlite (in memory) sealed as the CLI opens it.
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { decideLead, leadStreamId } from '@tandem/domain';
import { createPgliteEventStore, envelopesFor, type EventStore, sealed } from '@tandem/event-store';
import { pgliteUnavailableReason } from '@tandem/testing';
import { readCanonicalJsonl } from './canonical-jsonl.source';
import { definitionInForce } from './definition-in-force';
import { readExistingLead } from './existing-lead';
import { importActor } from './import.command';
import { planImport } from './import-plan';
import { type ImportOutcome, runImport } from './import-runner';

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

let dir: string;
let store: EventStore;
beforeEach(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'tandem-import-erased-'));
  store = sealed(await createPgliteEventStore({ memory: true }), {
    masterKey: randomBytes(32).toString('base64'),
  });
});
afterEach(async () => {
  await store.close();
  await rm(dir, { recursive: true, force: true });
});

async function importLines(name: string, lines: readonly string[]): Promise<ImportOutcome> {
  const file = path.join(dir, name);
  await writeFile(file, `${lines.join('\n')}\n`);
  const source = await readCanonicalJsonl(file);
  const { definition } = await definitionInForce(store);
  return runImport({
    store,
    plan: planImport(source),
    sourceHash: source.hash,
    blockEvents: 1_000, // one block: the erased lead and the others are appended together
    decision: { definition, actor: importActor(file), correlationId: 'import-erased-spec' },
  });
}

/** Erasure is never imported: it is a live ops command, appended here as the API appends it. */
async function eraseLead(leadId: string): Promise<void> {
  const lead = await readExistingLead(store, leadId);
  const now = '2025-02-01T10:00:00.000Z';
  const erased = decideLead({ type: 'EraseLead', data: { reason: 'gdpr request' } }, lead.state, {
    leadId,
    definition: (await definitionInForce(store)).definition,
    now,
  });
  await store.append(
    leadStreamId(leadId),
    envelopesFor(erased, {
      leadId,
      accountId: null,
      occurredAt: now,
      correlationId: 'ops',
      causationId: null,
      actor: { kind: 'user', id: 'olga@example.com', role: 'ops' },
    }),
    { expectedRevision: lead.revision ?? 'no_stream' },
  );
}

const typesOf = async (leadId: string) =>
  (await store.readStream(leadStreamId(leadId))).map((event) => event.type);

maybe('finds an erased lead of a re-exported file imported already', async () => {
  await importLines('january.jsonl', [capture('crm:a'), touch('crm:a', 2), capture('crm:b')]);
  await eraseLead('crm:a');

  // The same facts in another order: another file, so no checkpoint says it was imported.
  const again = await importLines('export.jsonl', [
    capture('crm:b'),
    touch('crm:a', 2),
    capture('crm:a'),
  ]);

  expect(again).toMatchObject({ importedLeads: 0, alreadyImportedLeads: 2, refusedLeads: 0 });
  expect(await typesOf('crm:a')).toEqual(['LeadCaptured', 'TouchpointRecorded', 'LeadErased']);
});

maybe('refuses an erased lead its new facts, and writes the rest of its block', async () => {
  await importLines('january.jsonl', [capture('crm:a'), touch('crm:a', 2)]);
  await eraseLead('crm:a');

  const february = await importLines('february.jsonl', [
    capture('crm:a'),
    touch('crm:a', 2),
    touch('crm:a', 3),
    capture('crm:c'),
  ]);

  expect(february).toMatchObject({ importedLeads: 1, refusedLeads: 1 });
  expect(february.refused).toEqual([
    expect.objectContaining({
      line: 3,
      leadId: 'crm:a',
      reason: expect.stringContaining('erased') as unknown,
    }),
  ]);
  expect(await typesOf('crm:a')).toEqual(['LeadCaptured', 'TouchpointRecorded', 'LeadErased']);
  expect(await typesOf('crm:c')).toEqual(['LeadCaptured']);
});

maybe('refuses a merge into a lead the file captures but the store holds erased', async () => {
  await importLines('january.jsonl', [capture('crm:a')]);
  await eraseLead('crm:a');

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
