/**
 * A process keeps the keys it sealed with (the vault's sealing cache). When another process
 * erases the lead, that cached key is dead: on real PostgreSQL with sealing, a new personal
 * value for the lead from the first process must be refused (422), never sealed under the dead
 * key and appended — whether the other process recorded LeadErased or was stopped after
 * destroying the key (a person's erasure shreds every key before its first append).
 */
import { randomUUID } from 'node:crypto';
import { leadStreamId } from '@tandem/domain';
import { describeWithPostgresSchema } from '@tandem/testing';
import { problemOf } from '../http/problem-details';
import type { ExecuteLeadCommandHandler } from './execute-lead-command.handler';
import { captureOf, eraseCommand, sealedProcesses, touchWith } from './testing/sealed-processes';

jest.setTimeout(120_000);

describeWithPostgresSchema('a lead erased by another process', 'erased_elsewhere', (schema) => {
  const { processStore, handlerOn, run, closeAll } = sealedProcesses(schema);

  afterAll(closeAll);

  /** A lead captured and touched by `first`, so its process holds the lead's sealing key. */
  const heldBy = async (first: ExecuteLeadCommandHandler) => {
    const leadId = randomUUID();
    await run(first, leadId, captureOf('Eli Elsewhere', 'eli@elsewhere.example'));
    await run(first, leadId, touchWith('first webinar'));
    return leadId;
  };

  it('refuses a personal value after the other process recorded the erasure', async () => {
    const firstStore = await processStore();
    const first = await handlerOn(firstStore);
    const leadId = await heldBy(first);
    await run(await handlerOn(await processStore()), leadId, eraseCommand);
    const before = await firstStore.readStream(leadStreamId(leadId));

    const refusal = await run(first, leadId, touchWith('after erasure')).catch((e: unknown) => e);
    expect(problemOf(refusal)).toMatchObject({ status: 422, code: 'lifecycle_violation' });
    expect(await firstStore.readStream(leadStreamId(leadId))).toHaveLength(before.length);
  });

  it('refuses a personal value once the other process destroyed the key, LeadErased not yet recorded', async () => {
    const firstStore = await processStore();
    const first = await handlerOn(firstStore);
    const leadId = await heldBy(first);
    await (await processStore()).shredLeadKeys([leadId]);
    const before = await firstStore.readStream(leadStreamId(leadId));

    const refusal = await run(first, leadId, touchWith('after the shred')).catch((e: unknown) => e);
    expect(problemOf(refusal)).toMatchObject({ status: 422, code: 'lifecycle_violation' });
    expect(await firstStore.readStream(leadStreamId(leadId))).toHaveLength(before.length);
  });
});
