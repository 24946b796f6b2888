/**
 * A process keeps the keys it sealed with (the vault's sealing cache). When another process
 * erases the lead, that cached key is dead: on real PostgreSQL with sealing, a new personal
 * value for the lead from the first process must be refused (422), never sealed under the dead
 * key and appended — whether the other process recorded LeadErased or was stopped after
 * destroying the key (a person's erasure shreds every key before its first append).
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { type Actor, type LeadCommand, leadStreamId } from '@tandem/domain';
import {
  createPostgresEventStore,
  type EventStore,
  MasterKeyWrapper,
  type PostgresEventStore,
  sealed,
  supportsPersonalData,
} from '@tandem/event-store';
import { describeWithPostgresSchema, TEST_POSTGRES_URL } from '@tandem/testing';
import pino from 'pino';
import { ActiveDefinition } from '../definitions/active-definition.service';
import { problemOf } from '../http/problem-details';
import { ExecuteLeadCommand, ExecuteLeadCommandHandler } from './execute-lead-command.handler';

jest.setTimeout(120_000);

const ops: Actor = { kind: 'user', id: 'olga@example.com', role: 'ops' };
const capture: LeadCommand = {
  type: 'CaptureLead',
  data: {
    contact: { name: 'Eli Elsewhere', email: 'eli@elsewhere.example' },
    company: { name: 'Acme', industry: 'software', size: 200, country: 'IT' },
    source: { channel: 'paid_search', campaign: 'q1-search' },
    productInterest: 'funnel_analytics',
    timeframe: '3_months',
    consent: { marketing: true },
  },
};
const touch = (content: string): LeadCommand => ({
  type: 'RecordTouchpoint',
  data: { touchpointId: '', kind: 'webinar', channel: 'web', campaign: null, content },
});

describeWithPostgresSchema('a lead erased by another process', 'erased_elsewhere', (schema) => {
  const masterKey = randomBytes(32);
  const opened: PostgresEventStore[] = [];
  const processStore = async () => {
    const inner = await createPostgresEventStore({ connectionString: TEST_POSTGRES_URL, schema });
    opened.push(inner);
    const store = sealed(inner, { wrapper: new MasterKeyWrapper(masterKey) });
    if (!supportsPersonalData(store)) throw new Error('a sealed store seals personal data');
    return store;
  };
  const handlerOn = async (store: EventStore) => {
    const definitions = new ActiveDefinition(store);
    await definitions.onModuleInit();
    return new ExecuteLeadCommandHandler(store, definitions, pino({ level: 'silent' }));
  };
  const run = (handler: ExecuteLeadCommandHandler, leadId: string, command: LeadCommand) =>
    handler.execute(
      new ExecuteLeadCommand(
        leadId,
        command,
        {},
        { actor: ops, correlationId: randomUUID(), causationId: null },
      ),
    );

  afterAll(async () => {
    for (const store of opened) await store.close();
  });

  /** A lead captured and touched by `first`, so its process holds the lead's sealing key. */
  const heldBy = async (first: ExecuteLeadCommandHandler) => {
    const leadId = randomUUID();
    await run(first, leadId, capture);
    await run(first, leadId, touch('first webinar'));
    return leadId;
  };

  it('refuses a personal value after the other process recorded the erasure', async () => {
    const firstStore = await processStore();
    const first = await handlerOn(firstStore);
    const leadId = await heldBy(first);
    await run(await handlerOn(await processStore()), leadId, {
      type: 'EraseLead',
      data: { reason: 'gdpr request' },
    });
    const before = await firstStore.readStream(leadStreamId(leadId));

    const refusal = await run(first, leadId, touch('after erasure')).catch((e: unknown) => e);
    expect(problemOf(refusal)).toMatchObject({ status: 422, code: 'lifecycle_violation' });
    expect(await firstStore.readStream(leadStreamId(leadId))).toHaveLength(before.length);
  });

  it('refuses a personal value once the other process destroyed the key, LeadErased not yet recorded', async () => {
    const firstStore = await processStore();
    const first = await handlerOn(firstStore);
    const leadId = await heldBy(first);
    await (await processStore()).shredLeadKeys([leadId]);
    const before = await firstStore.readStream(leadStreamId(leadId));

    const refusal = await run(first, leadId, touch('after the shred')).catch((e: unknown) => e);
    expect(problemOf(refusal)).toMatchObject({ status: 422, code: 'lifecycle_violation' });
    expect(await firstStore.readStream(leadStreamId(leadId))).toHaveLength(before.length);
  });
});
