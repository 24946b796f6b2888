/**
 * A day-one import writes the store the API would have written for the same facts sent in
 * business-time order: the same events on every lead's stream, in the same order, with the same
 * data — above all across merges, where a survivor records the touches of every lead merged
 * into it, and of the leads merged into those (DuplicateMergedIn, ADR 0016), and a touch sent
 * to it later under one of those ids records nothing. Two PGlite stores in this process: one
 * takes the file through `runImport`, the other the same facts through the API's command
 * handler (execute-lead-command.handler.ts), each with the fact's business time.
 */
import * as path from 'node:path';
import { type Actor, leadStreamId, type LeadCommand } from '@tandem/domain';
import type { EventStore } from '@tandem/event-store';
import { pgliteUnavailableReason } from '@tandem/testing';
import pino from 'pino';
import {
  type CanonicalFact,
  captureFact,
  linesOf,
  mergeFact,
  onDay,
  touchFact,
} from '../apps/cli/src/import/testing/canonical-facts';
import { eraseLead } from '../apps/cli/src/import/testing/erase-lead';
import { importLines } from '../apps/cli/src/import/testing/import-lines';
import type { ImportOutcome } from '../apps/cli/src/import/import-runner';
import { storesPerTest } from '../apps/cli/src/import/testing/stores-per-test';
import { ActiveDefinition } from '../apps/funnel-api/src/definitions/active-definition.service';
import {
  ExecuteLeadCommand,
  ExecuteLeadCommandHandler,
} from '../apps/funnel-api/src/leads/execute-lead-command.handler';

jest.setTimeout(120_000);

const maybe = pgliteUnavailableReason() === null ? it : it.skip;

type Fact = CanonicalFact;

const capture = (leadId: string, day: number) => captureFact(leadId, onDay(day));
const touch = (leadId: string, touchpointId: string, day: number, hour = 10) =>
  touchFact(leadId, touchpointId, onDay(day, hour));
const merge = (leadId: string, intoLeadId: string, day: number) =>
  mergeFact(leadId, intoLeadId, onDay(day));

const apiActor: Actor = { kind: 'user', id: 'ann@example.com', role: 'ops' };

const stores = storesPerTest('tandem-import-same-as-api-');
const openStore = stores.open;

/** The facts through the API's handler, in business-time order; its refusals by lead. */
async function throughApi(store: EventStore, facts: readonly Fact[]): Promise<Set<string>> {
  const definitions = new ActiveDefinition(store);
  await definitions.onModuleInit();
  const handler = new ExecuteLeadCommandHandler(store, definitions, pino({ level: 'silent' }));
  const refused = new Set<string>();
  const ordered = [...facts].sort((a, b) => Date.parse(a.occurredAt) - Date.parse(b.occurredAt));
  for (const fact of ordered) {
    const command = { type: fact.type, data: fact.data } as unknown as LeadCommand;
    await handler
      .execute(
        new ExecuteLeadCommand(
          fact.leadId,
          command,
          { occurredAt: fact.occurredAt },
          { actor: apiActor, correlationId: 'api', causationId: null },
        ),
      )
      .catch(() => refused.add(fact.leadId));
  }
  return refused;
}

/** The facts as a canonical file, imported into `store`. */
const importFacts = (
  store: EventStore,
  name: string,
  facts: readonly Fact[],
  blockEvents: number,
): Promise<ImportOutcome> =>
  importLines({
    store,
    file: path.join(stores.dir(), name),
    lines: linesOf(facts),
    blockEvents,
    correlationId: 'import-same-as-api',
  });

/** A stream as the comparison sees it: what happened, when, and what it holds. */
const streamOf = async (store: EventStore, leadId: string) =>
  (await store.readStream(leadStreamId(leadId))).map((event) => ({
    type: event.type,
    occurredAt: event.metadata.occurredAt,
    data: event.data,
  }));

async function expectSameStreams(
  imported: EventStore,
  api: EventStore,
  leadIds: readonly string[],
): Promise<void> {
  for (const leadId of leadIds) {
    expect({ leadId, events: await streamOf(imported, leadId) }).toEqual({
      leadId,
      events: await streamOf(api, leadId),
    });
  }
}

/**
 * Chains of merges with touches: a→b→c and d→e→f→g, g's links arriving in the file last link
 * first; b and f take a touch after the merge into them under an id of the lead merged in (a
 * retry: nothing recorded); c takes two duplicates (b, and h merged into it directly).
 */
const chains: readonly Fact[] = [
  capture('crm:a', 1),
  touch('crm:a', 'touch-a1', 2),
  capture('crm:b', 1),
  touch('crm:b', 'touch-b1', 2, 11),
  capture('crm:c', 1),
  touch('crm:c', 'touch-c1', 2, 12),
  merge('crm:a', 'crm:b', 3),
  touch('crm:b', 'touch-a1', 4), // a's touch, sent again to its survivor
  touch('crm:b', 'touch-b2', 4, 11),
  merge('crm:b', 'crm:c', 5),
  touch('crm:c', 'touch-b2', 6), // b's touch, through the chain
  capture('crm:h', 1),
  touch('crm:h', 'touch-h1', 2, 13),
  merge('crm:h', 'crm:c', 7),
  // The later links first, the survivors captured after the leads merged into them.
  merge('crm:f', 'crm:g', 8),
  merge('crm:e', 'crm:f', 6),
  merge('crm:d', 'crm:e', 4),
  touch('crm:d', 'touch-d1', 2),
  capture('crm:d', 1),
  touch('crm:e', 'touch-e1', 3),
  capture('crm:e', 1),
  touch('crm:f', 'touch-d1', 7), // d's touch, two links down
  touch('crm:f', 'touch-f1', 5),
  capture('crm:f', 1),
  capture('crm:g', 1),
  touch('crm:g', 'touch-g1', 9),
];
const chainLeads = ['crm:a', 'crm:b', 'crm:c', 'crm:d', 'crm:e', 'crm:f', 'crm:g', 'crm:h'];

describe('an import writes what the API writes for the same facts', () => {
  for (const blockEvents of [1, 5_000]) {
    maybe(`chains of merges with touches (blocks of ${blockEvents} events)`, async () => {
      const imported = await openStore();
      const api = await openStore();

      const outcome = await importFacts(imported, 'chains.jsonl', chains, blockEvents);
      const refusedByApi = await throughApi(api, chains);

      expect(outcome.refused).toEqual([]);
      expect(refusedByApi).toEqual(new Set());
      await expectSameStreams(imported, api, chainLeads);
      // The same file again adds nothing.
      const head = await imported.headPosition();
      const again = await importFacts(imported, 'chains-again.jsonl', chains, blockEvents);
      expect(again).toMatchObject({ importedEvents: 0, refused: [] });
      expect(await imported.headPosition()).toBe(head);
      await expectSameStreams(imported, api, chainLeads);
    });
  }

  maybe('chains in reverse file order write the same streams', async () => {
    const forward = await openStore();
    const reverse = await openStore();

    await importFacts(forward, 'forward.jsonl', chains, 1);
    await importFacts(reverse, 'reverse.jsonl', [...chains].reverse(), 1);

    await expectSameStreams(reverse, forward, chainLeads);
  });

  maybe(
    'a merge into an erased lead, and a lead merged twice, refuse their leads whole',
    async () => {
      const imported = await openStore();
      const api = await openStore();
      const before = [capture('crm:x', 1), touch('crm:x', 'touch-x1', 2)];
      await importFacts(imported, 'before.jsonl', before, 1);
      await eraseLead(imported, 'crm:x');
      await throughApi(api, before);
      await eraseLead(api, 'crm:x');
      const file = [
        capture('crm:p', 3),
        touch('crm:p', 'touch-p1', 4),
        merge('crm:p', 'crm:x', 5), // into the erased lead
        capture('crm:q', 3),
        capture('crm:r', 3),
        capture('crm:s', 3),
        touch('crm:q', 'touch-q1', 4),
        merge('crm:q', 'crm:r', 5),
        merge('crm:q', 'crm:s', 6), // q merged twice
        merge('crm:r', 'crm:s', 7),
      ];

      const outcome = await importFacts(imported, 'after.jsonl', file, 1);

      expect(outcome.refused.map(({ line, leadId }) => ({ line, leadId }))).toEqual([
        { line: 3, leadId: 'crm:p' },
        { line: 9, leadId: 'crm:q' },
      ]);
      expect(outcome.refused[0]?.reason).toBe(
        'MergeLead: lead crm:x was erased: a lead cannot be merged into an erased lead',
      );
      // The API takes a lead's facts one at a time; an import takes a lead whole or not at all
      // (docs/import.md): the API's store to compare with is the one that never heard of the
      // leads the import refused.
      const refusedByApi = await throughApi(
        api,
        file.filter((fact) => fact.leadId !== 'crm:p' && fact.leadId !== 'crm:q'),
      );
      expect(refusedByApi).toEqual(new Set());
      await expectSameStreams(imported, api, ['crm:x', 'crm:p', 'crm:q', 'crm:r', 'crm:s']);
    },
  );
});
