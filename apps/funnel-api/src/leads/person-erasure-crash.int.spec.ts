/**
 * Erasing a person of more leads than one append may write (MAX_STREAMS_PER_APPEND) takes
 * several appends, and a process can die between them. Crypto-shredding (ADR 0009) makes the
 * erasure the key's destruction, not the event: on real PostgreSQL with sealing, a process
 * that dies after its first append must leave none of the person's values readable — not only
 * the leads that append recorded — before anyone retries. Meanwhile the leads whose LeadErased
 * is not recorded yet refuse a personal value as an erased lead does (422, never a 500), read
 * as erased on the timeline path, and get no new key; the retry records the rest, once each.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { type Actor, ERASED_VALUE, type LeadCommand, leadStreamId } from '@tandem/domain';
import {
  createPostgresEventStore,
  ErasedLeadWriteError,
  type EventStore,
  MAX_STREAMS_PER_APPEND,
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
import {
  ERASURE_IN_PROGRESS,
  GetLeadTimeline,
  GetLeadTimelineHandler,
} from './get-lead-timeline.handler';

jest.setTimeout(120_000);

const ops: Actor = { kind: 'user', id: 'olga@example.com', role: 'ops' };
const erase: LeadCommand = { type: 'EraseLead', data: { reason: 'gdpr request' } };
const emailOf = (leadId: string) => `p.${leadId}@erase-me.example`;
const capture = (leadId: string): LeadCommand => ({
  type: 'CaptureLead',
  data: {
    contact: { name: 'Paula Person', email: emailOf(leadId) },
    company: { name: 'Acme', industry: 'software', size: 200, country: 'IT' },
    source: { channel: 'paid_search', campaign: 'q1-search' },
    productInterest: 'funnel_analytics',
    timeframe: '3_months',
    consent: { marketing: true },
  },
});

/** `store` as a process that dies once its `appendToStreams` has succeeded `survives` times. */
function dyingAfter(store: EventStore, survives: number): EventStore {
  let calls = 0;
  return new Proxy(store, {
    get(target, property, receiver) {
      if (property !== 'appendToStreams') {
        return Reflect.get(target, property, receiver) as unknown;
      }
      return (...args: Parameters<EventStore['appendToStreams']>) => {
        calls += 1;
        if (calls > survives) return Promise.reject(new Error('killed between two appends'));
        return target.appendToStreams(...args);
      };
    },
  });
}

describeWithPostgresSchema('erasing a person in several appends', 'erasure_crash', (schema) => {
  const masterKey = randomBytes(32);
  const opened: PostgresEventStore[] = [];
  /** A process on the schema: its own pool, vault and caches; the same master key. */
  const processStore = async () => {
    const inner = await createPostgresEventStore({ connectionString: TEST_POSTGRES_URL, schema });
    opened.push(inner);
    return sealed(inner, { wrapper: new MasterKeyWrapper(masterKey) });
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

  it('leaves none of the person readable after a crash between appends; a retry ends it', async () => {
    const setup = await processStore();
    const before = await handlerOn(setup);
    // The one live lead (the others are merged into it) sorts last: its erasure is in the
    // last append, which the crash below never reaches.
    const survivor = `ffffffff${randomUUID().slice(8)}`;
    await run(before, survivor, capture(survivor));
    const duplicates: string[] = [];
    for (let n = 0; n < MAX_STREAMS_PER_APPEND + 4; n++) {
      const duplicate = randomUUID();
      await run(before, duplicate, capture(duplicate));
      await run(before, duplicate, { type: 'MergeLead', data: { intoLeadId: survivor } });
      duplicates.push(duplicate);
    }
    const person = [survivor, ...duplicates];

    // The process erasing the person dies after its first append.
    const dying = await handlerOn(dyingAfter(await processStore(), 1));
    await expect(run(dying, duplicates[0]!, erase)).rejects.toThrow('killed between two appends');

    // Another process, before any retry: some leads hold no LeadErased yet, none is readable.
    const other = await processStore();
    if (!supportsPersonalData(other)) throw new Error('a sealed store opens personal data');
    const erasedEvents = async (leadId: string) =>
      (await other.readStream(leadStreamId(leadId))).filter((e) => e.type === 'LeadErased');
    const notYetErased: string[] = [];
    for (const leadId of person) {
      if ((await erasedEvents(leadId)).length === 0) notYetErased.push(leadId);
      const [captured] = await other.personalData.openLeadEvents(
        leadId,
        await other.readStream(leadStreamId(leadId)),
      );
      expect(captured?.data.contact).toMatchObject({ email: ERASED_VALUE, name: ERASED_VALUE });
    }
    expect(notYetErased.length).toBeGreaterThan(0);
    // Not shown as a live lead: its status says the erasure is not finished.
    const timelines = new GetLeadTimelineHandler(other);
    for (const leadId of notYetErased) {
      const answer = await timelines.execute(new GetLeadTimeline(leadId));
      expect(answer.status).toBe(ERASURE_IN_PROGRESS);
    }

    // A command with a personal value on a lead not yet recorded as erased: refused as on an
    // erased lead (422), not a 500, and no key made for it.
    const meanwhile = await handlerOn(other);
    expect(notYetErased).toContain(survivor);
    const touch: LeadCommand = {
      type: 'RecordTouchpoint',
      data: { touchpointId: '', kind: 'webinar', channel: 'web', campaign: null, content: 'hi' },
    };
    const refusal = await run(meanwhile, survivor, touch).catch((error: unknown) => error);
    expect(refusal).toBeInstanceOf(ErasedLeadWriteError);
    expect(problemOf(refusal)).toMatchObject({ status: 422, code: 'lifecycle_violation' });
    const keys = await opened[0]!.sideTableExecutor().query(
      `SELECT count(*)::int AS n FROM ${opened[0]!.names.quotedSchema}.personal_data_keys
        WHERE lead_id = ANY($1::text[]) AND wrapped_key IS NOT NULL`,
      [person],
    );
    expect(keys[0]?.n).toBe(0);

    // The retry, from the same lead, on a fresh process: records the rest, each lead once.
    const answer = await run(await handlerOn(await processStore()), duplicates[0]!, erase);
    expect(answer.events).toEqual([]);
    expect([...(answer.alsoErased ?? [])].sort()).toEqual(notYetErased.sort());
    for (const leadId of person) expect(await erasedEvents(leadId)).toHaveLength(1);
    // And once more: nothing left to write.
    const again = await run(meanwhile, duplicates[3]!, erase);
    expect(again).toMatchObject({ events: [] });
    expect(again.alsoErased).toBeUndefined();
  });
});
