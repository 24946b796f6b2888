/**
 * The lead write path decides on its cached fold without reading first (ADR 0013). Two
 * handlers on one embedded store stand for two API processes: what one appends, the other's
 * cache does not know. Every command still lands at the right revision and is decided on the
 * state the store holds; a conflict or a refusal made on a stale fold is never the answer.
 */
import { randomUUID } from 'node:crypto';
import {
  type Actor,
  defaultFunnelDefinition,
  type LeadCommand,
  LeadNotFoundError,
  LeadAlreadyCapturedError,
  leadStreamId,
  RuleViolationError,
} from '@tandem/domain';
import {
  createPgliteEventStore,
  envelopesFor,
  MAX_STREAMS_PER_APPEND,
  type PostgresEventStore,
  WrongExpectedRevisionError,
} from '@tandem/event-store';
import pino from 'pino';
import { ActiveDefinition } from '../definitions/active-definition.service';
import { writeContext } from '../platform/write-context';
import { ExecuteLeadCommand, ExecuteLeadCommandHandler } from './execute-lead-command.handler';
import type { CommandOptions } from './lead-command.requests';

const actor: Actor = { kind: 'user', id: 'ann@example.com', role: 'marketing' };
const logger = pino({ level: 'silent' });

const capture: LeadCommand = {
  type: 'CaptureLead',
  data: {
    contact: { name: 'Giulia Rossi', email: 'giulia@example.com' },
    company: { name: 'Acme', industry: 'software', size: 200, country: 'IT' },
    source: { channel: 'paid_search', campaign: 'q1-search' },
    productInterest: 'funnel_analytics',
    timeframe: '3_months',
    consent: { marketing: true },
  },
};
const touchpoint: LeadCommand = {
  type: 'RecordTouchpoint',
  data: { touchpointId: '', kind: 'webinar', channel: 'web', campaign: null, content: null },
};
const seller: Actor = { kind: 'user', id: 'bob@example.com', role: 'sales' };
const handToSalesDirectly: LeadCommand = {
  type: 'HandLeadToSalesDirectly',
  data: {
    owner: 'bob@example.com',
    team: null,
    source: defaultFunnelDefinition.salesSourced?.sources[0]?.code ?? 'referral',
  },
};
const accept: LeadCommand = { type: 'AcceptLead', data: { note: null } };

describe('the lead write path with two processes on one store', () => {
  let store: PostgresEventStore;
  let first: ExecuteLeadCommandHandler;
  let second: ExecuteLeadCommandHandler;

  beforeAll(async () => {
    store = await createPgliteEventStore({ memory: true });
    const handler = async () => {
      const definitions = new ActiveDefinition(store);
      await definitions.onModuleInit();
      return new ExecuteLeadCommandHandler(store, definitions, logger);
    };
    first = await handler();
    second = await handler();
  });

  afterAll(async () => {
    await store?.close();
  });

  const run = (
    handler: ExecuteLeadCommandHandler,
    leadId: string,
    command: LeadCommand,
    options: CommandOptions = {},
    as: Actor = actor,
  ) =>
    handler.execute(
      new ExecuteLeadCommand(leadId, command, options, {
        actor: as,
        correlationId: randomUUID(),
        causationId: null,
      }),
    );

  const revisions = async (leadId: string) =>
    (await store.readStream(leadStreamId(leadId))).map((event) => Number(event.streamRevision));

  it('appends on a stale cache by deciding again on the stream, at the right revision', async () => {
    const leadId = randomUUID();
    await run(first, leadId, capture);
    await run(first, leadId, touchpoint); // first caches the lead at revision 1
    await run(second, leadId, touchpoint); // revision 2, unknown to first's cache
    await run(second, leadId, touchpoint); // revision 3

    const result = await run(first, leadId, touchpoint);
    expect(result.revision).toBe(4);
    expect(await revisions(leadId)).toEqual([0, 1, 2, 3, 4]);
    // And first's cache now holds its own append: the next command lands without a conflict.
    await expect(run(first, leadId, touchpoint)).resolves.toMatchObject({ revision: 5 });
  });

  it('never refuses on a stale cache: a refusal is decided again on what the store holds', async () => {
    const leadId = randomUUID();
    await run(first, leadId, capture); // first caches the lead in nurturing
    // second hands it to sales directly: an AcceptLead is now allowed, first does not know it.
    await run(second, leadId, handToSalesDirectly, {}, seller);
    await expect(run(first, leadId, accept, {}, seller)).resolves.toMatchObject({ revision: 2 });
    expect(await revisions(leadId)).toEqual([0, 1, 2]);
  });

  it('captures a lead it has never seen without a read, and refuses a second capture', async () => {
    const leadId = randomUUID();
    await expect(run(first, leadId, capture)).resolves.toMatchObject({ revision: 0 });
    // second's cache knows nothing: its capture expects no stream, is refused by the store,
    // and is then decided on the stream, which says the lead exists.
    await expect(run(second, leadId, capture)).rejects.toBeInstanceOf(LeadAlreadyCapturedError);
    expect(await revisions(leadId)).toEqual([0]);
  });

  it('answers a command on a lead that does not exist with LeadNotFoundError', async () => {
    await expect(run(first, randomUUID(), touchpoint)).rejects.toBeInstanceOf(LeadNotFoundError);
  });

  it("checks the client's expected revision against the stream, not a stale cache", async () => {
    const leadId = randomUUID();
    await run(first, leadId, capture); // first caches revision 0
    await run(second, leadId, touchpoint); // revision 1
    await expect(run(first, leadId, touchpoint, { expectedRevision: 1 })).resolves.toMatchObject({
      revision: 2,
    });
    const stale = await run(first, leadId, touchpoint, { expectedRevision: 1 }).catch(
      (error: unknown) => error,
    );
    expect(stale).toBeInstanceOf(WrongExpectedRevisionError);
    expect(stale).toMatchObject({ actual: 2n });
  });

  it('loses no command when both processes write one lead at once', async () => {
    const leadId = randomUUID();
    await run(first, leadId, capture);
    await run(second, leadId, touchpoint);
    const outcomes = await Promise.allSettled(
      Array.from({ length: 10 }, (_, i) => run(i % 2 === 0 ? first : second, leadId, touchpoint)),
    );
    const landed = outcomes.filter((outcome) => outcome.status === 'fulfilled').length;
    const conflicts = outcomes.filter(
      (outcome) =>
        outcome.status === 'rejected' && outcome.reason instanceof WrongExpectedRevisionError,
    ).length;
    // A conflict can still reach a caller when the other process appends between the re-read
    // and the append (as before this change); nothing else may fail, and no revision is lost.
    expect(landed + conflicts).toBe(10);
    expect(await revisions(leadId)).toEqual(Array.from({ length: 2 + landed }, (_, i) => i));
  });

  describe('a merge names a live survivor', () => {
    const merge = (intoLeadId: string): LeadCommand => ({
      type: 'MergeLead',
      data: { intoLeadId },
    });
    const ops: Actor = { kind: 'user', id: 'olga@example.com', role: 'ops' };
    const captured = async () => {
      const leadId = randomUUID();
      await run(first, leadId, capture);
      return leadId;
    };

    it('refuses a merge into a lead merged away, so two merges never make a cycle', async () => {
      const [a, b, c] = [await captured(), await captured(), await captured()];
      await run(first, a, merge(b), {}, ops);
      // b's duplicate a is gone; b into a would leave neither lead live.
      await expect(run(first, b, merge(a), {}, ops)).rejects.toThrow(RuleViolationError);
      // And from the other process, whose cache never saw a merged.
      await expect(run(second, c, merge(a), {}, ops)).rejects.toThrow(
        /was itself merged into another lead/,
      );
      // b holds its record of a (DuplicateMergedIn, ADR 0016) and nothing of the refused merges.
      expect(await revisions(b)).toEqual([0, 1]);
      expect(await revisions(c)).toEqual([0]);
    });

    it('refuses a merge into an erased lead', async () => {
      const [a, b] = [await captured(), await captured()];
      await run(first, b, { type: 'EraseLead', data: { reason: 'gdpr request' } }, {}, ops);
      await expect(run(second, a, merge(b), {}, ops)).rejects.toThrow(/was erased/);
      expect(await revisions(a)).toEqual([0]);
    });

    it('lets only one of two crossing merges land', async () => {
      const [a, b] = [await captured(), await captured()];
      const outcomes = await Promise.allSettled([
        run(first, a, merge(b), {}, ops),
        run(first, b, merge(a), {}, ops),
      ]);
      expect(outcomes.map((outcome) => outcome.status).sort()).toEqual(['fulfilled', 'rejected']);
      // One merge: LeadMerged on one lead, its record on the other (ADR 0016).
      expect([...(await revisions(a)), ...(await revisions(b))].sort()).toEqual([0, 0, 1, 1]);
    });

    it('lets only one of two crossing merges land across processes, the other a 422 (ADR 0015)', async () => {
      for (let round = 0; round < 20; round++) {
        const [a, b] = [await captured(), await captured()];
        // Both processes know both leads live: each decides its merge on a live survivor.
        await run(second, a, touchpoint);
        await run(second, b, touchpoint);
        const outcomes = await Promise.allSettled([
          run(first, a, merge(b), {}, ops),
          run(second, b, merge(a), {}, ops),
        ]);
        const refused = outcomes.filter((outcome) => outcome.status === 'rejected');
        expect(refused).toHaveLength(1);
        expect(refused[0]?.reason).toBeInstanceOf(RuleViolationError);
        expect(String(refused[0]?.reason)).toMatch(/was itself merged into another lead/);
        // Each lead's capture and touch; the one merge's LeadMerged and its survivor's record.
        expect([...(await revisions(a)), ...(await revisions(b))].sort()).toEqual([
          0, 0, 1, 1, 2, 2,
        ]);
      }
    });
  });

  describe('an erasure erases the person: every lead a merge linked to it', () => {
    const ops: Actor = { kind: 'user', id: 'olga@example.com', role: 'ops' };
    const erase: LeadCommand = { type: 'EraseLead', data: { reason: 'gdpr request' } };
    const mergeInto = (intoLeadId: string): LeadCommand => ({
      type: 'MergeLead',
      data: { intoLeadId },
    });
    const captured = async () => {
      const leadId = randomUUID();
      await run(first, leadId, capture);
      return leadId;
    };
    const types = async (leadId: string) =>
      (await store.readStream(leadStreamId(leadId))).map((event) => event.type);
    const erasedOnce = (leadId: string) =>
      types(leadId).then((all) => all.filter((type) => type === 'LeadErased').length);

    it('from any lead of a chain, in either direction, on a process that never saw the merges', async () => {
      for (const start of [0, 1, 2, 3]) {
        // a into b, b into c; d into c. Erasing any of them erases all four, once each.
        const [a, b, c, d, other] = [
          await captured(),
          await captured(),
          await captured(),
          await captured(),
          await captured(),
        ];
        await run(first, a, mergeInto(b), {}, ops);
        await run(first, b, mergeInto(c), {}, ops);
        await run(first, d, mergeInto(c), {}, ops);
        const group = [a, b, c, d];
        const erasedFrom = group[start]!;
        const answer = await run(second, erasedFrom, erase, {}, ops);
        expect(answer.events.map((event) => event.type)).toEqual(['LeadErased']);
        expect([...(answer.alsoErased ?? [])].sort()).toEqual(
          group.filter((leadId) => leadId !== erasedFrom).sort(),
        );
        for (const leadId of group) expect(await erasedOnce(leadId)).toBe(1);
        expect(await types(other)).toEqual(['LeadCaptured']);
        // Again, from another lead of the group and the other process: nothing more to write.
        const again = await run(first, group[(start + 1) % 4]!, erase, {}, ops);
        expect(again).toMatchObject({ events: [] });
        expect(again.alsoErased).toBeUndefined();
        for (const leadId of group) expect(await erasedOnce(leadId)).toBe(1);
      }
    });

    it('erases a person of more leads than one append may write, each once', async () => {
      const survivor = await captured();
      const duplicates: string[] = [];
      for (let n = 0; n < MAX_STREAMS_PER_APPEND + 4; n++) {
        const duplicate = await captured();
        await run(first, duplicate, mergeInto(survivor), {}, ops);
        duplicates.push(duplicate);
      }
      const answer = await run(second, duplicates[0]!, erase, {}, ops);
      expect(answer.alsoErased).toHaveLength(MAX_STREAMS_PER_APPEND + 4);
      for (const leadId of [survivor, ...duplicates]) expect(await erasedOnce(leadId)).toBe(1);
    });

    it('erases the duplicates of a lead erased before they were linked to it', async () => {
      // The survivor erased alone (as before erasure followed merges): erasing it again
      // reaches the duplicate its records name.
      const [duplicate, survivor] = [await captured(), await captured()];
      await run(first, duplicate, mergeInto(survivor), {}, ops);
      const context = { actor: ops, correlationId: randomUUID(), causationId: null };
      await store.append(
        leadStreamId(survivor),
        envelopesFor(
          [{ type: 'LeadErased', data: { reason: 'gdpr request' } }],
          writeContext(context, {
            leadId: survivor,
            accountId: null,
            occurredAt: new Date().toISOString(),
          }),
        ),
        { expectedRevision: 1n },
      );
      const answer = await run(second, survivor, erase, {}, ops);
      expect(answer).toMatchObject({ events: [], alsoErased: [duplicate] });
      expect(await erasedOnce(duplicate)).toBe(1);
      expect(await erasedOnce(survivor)).toBe(1);
    });

    it('never leaves a lead merged into the person after the erasure lands', async () => {
      for (let round = 0; round < 10; round++) {
        const [a, b, c] = [await captured(), await captured(), await captured()];
        await run(first, a, mergeInto(b), {}, ops);
        // c merged into b on one process while the other erases a (and so b).
        const outcomes = await Promise.allSettled([
          run(first, c, mergeInto(b), {}, ops),
          run(second, a, erase, {}, ops),
        ]);
        expect(outcomes[1]?.status).toBe('fulfilled');
        // Either the merge landed first and c was erased with the person, or it was refused.
        const cMerged = (await types(c)).includes('LeadMerged');
        expect(outcomes[0]?.status).toBe(cMerged ? 'fulfilled' : 'rejected');
        expect(await erasedOnce(c)).toBe(cMerged ? 1 : 0);
        expect(await erasedOnce(a)).toBe(1);
        expect(await erasedOnce(b)).toBe(1);
      }
    });
  });
});
