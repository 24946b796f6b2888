/**
 * Two runs of one file at once against the same PostgreSQL store (two operators, a retried
 * job beside a slow one): both finish, the store holds each lead once, exactly as one run
 * writes it, and the checkpoint covers the whole file, so a third run adds nothing.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { loadConfig } from '@tandem/config';
import { createEventStore, type EventStore } from '@tandem/event-store';
import {
  TEST_POSTGRES_URL,
  dropSchema,
  freshSchemaName,
  postgresUnavailableReason,
} from '@tandem/testing';
import { readCanonicalJsonl } from './canonical-jsonl.source';
import { definitionInForce } from './definition-in-force';
import { planImport } from './import-plan';
import { importCheckpointName, type ImportOutcome } from './import-runner';
import { writeCanonicalHistory } from './testing/canonical-history';
import { importedLeadEvents } from './testing/import-cli';
import { importCanonicalFile } from './testing/import-lines';

jest.setTimeout(300_000);

const unavailable = postgresUnavailableReason();
if (unavailable !== null) console.warn(`skipping the concurrent import spec: ${unavailable}`);
const maybe = unavailable === null ? it : it.skip;

describe('two imports of one file at once (PostgreSQL)', () => {
  const schemas: string[] = [];
  const stores: EventStore[] = [];
  let dir = '';
  beforeEach(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'tandem-import-concurrent-'));
  });
  afterEach(async () => {
    for (const store of stores.splice(0)) await store.close();
    for (const schema of schemas.splice(0)) await dropSchema(schema);
    await rm(dir, { recursive: true, force: true });
  });

  const open = async (schema: string): Promise<EventStore> => {
    const store = await createEventStore(
      loadConfig({
        TANDEM_EVENT_STORE: 'postgres',
        TANDEM_POSTGRES_URL: TEST_POSTGRES_URL,
        TANDEM_POSTGRES_SCHEMA: schema,
      }).eventStore,
    );
    stores.push(store);
    return store;
  };

  const importInto = (store: EventStore, file: string): Promise<ImportOutcome> =>
    importCanonicalFile({ store, file, blockEvents: 40, correlationId: 'import-spec' });

  maybe('both finish, each lead is written once, and a third run adds nothing', async () => {
    const file = path.join(dir, 'history.jsonl');
    await writeCanonicalHistory(file, 2_000);
    const source = await readCanonicalJsonl(file);
    const leadIds = planImport(source).leads.map((lead) => lead.leadId);

    // What one run alone writes, in a store of its own.
    const aloneSchema = freshSchemaName('import_alone');
    schemas.push(aloneSchema);
    const alone = await open(aloneSchema);
    const single = await importInto(alone, file);
    expect(single.refused).toEqual([]);

    const sharedSchema = freshSchemaName('import_twice');
    schemas.push(sharedSchema);
    const first = await open(sharedSchema);
    await definitionInForce(first); // the definitions stream exists before the runs race
    const second = await open(sharedSchema);
    const [a, b] = await Promise.all([importInto(first, file), importInto(second, file)]);

    expect(a.refused).toEqual([]);
    expect(b.refused).toEqual([]);
    // Every lead was written by one of the runs and found imported by the other.
    expect(a.importedLeads + b.importedLeads).toBe(leadIds.length);
    expect(a.importedLeads + a.alreadyImportedLeads).toBe(leadIds.length);
    expect(b.importedLeads + b.alreadyImportedLeads).toBe(leadIds.length);
    expect(await importedLeadEvents(first, leadIds)).toEqual(
      await importedLeadEvents(alone, leadIds),
    );
    expect((await first.checkpoints.load(importCheckpointName(source.hash)))?.position).toBe(
      BigInt(leadIds.length),
    );

    const third = await importInto(first, file);
    expect(third.resumedAfterLeads).toBe(leadIds.length);
    expect(third.importedLeads).toBe(0);
    expect(third.refused).toEqual([]);
  });
});
