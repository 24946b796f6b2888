/**
 * A lead whose key row exists but does not unwrap — its bytes damaged, or wrapped under a
 * master key this process does not hold — on real PostgreSQL with sealing: its timeline is
 * still answered, with the personal fields that cannot be opened withheld (never a 500), the
 * relay's read of its events is untouched (ciphertext passes through), and a new personal
 * value for it is refused with a clear 422, never sealed under a fresh key. A key service that
 * does not answer is a 503 to retry, not a 500 and not "withheld".
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { isSealedValue, leadStreamId, WITHHELD_VALUE } from '@tandem/domain';
import { type EventStore, type KeyWrapper, MasterKeyWrapper } from '@tandem/event-store';
import { describeWithPostgresSchema } from '@tandem/testing';
import { problemOf } from '../http/problem-details';
import { GetLeadTimeline, GetLeadTimelineHandler } from './get-lead-timeline.handler';
import { captureOf, sealedProcesses, touchWith } from './testing/sealed-processes';

jest.setTimeout(120_000);

const touch = touchWith('hello');

/** A key service that is down: every unwrap fails, and not with KeyNotUnwrappedError. */
const unanswering = (wrapper: KeyWrapper): KeyWrapper => ({
  keyId: wrapper.keyId,
  wrap: (dataKey, leadId) => wrapper.wrap(dataKey, leadId),
  unwrap: () => Promise.reject(new Error('connect ETIMEDOUT kms.example:443')),
});

describeWithPostgresSchema('a lead whose key does not unwrap', 'unreadable_key', (schema) => {
  const { masterKey, opened, processStore, handlerOn, run, closeAll } = sealedProcesses(schema);
  const timeline = (store: EventStore, leadId: string) =>
    new GetLeadTimelineHandler(store).execute(new GetLeadTimeline(leadId));
  const keyRow = async (leadId: string) => {
    const [row] = await opened[0]!.sideTableExecutor().query(
      `SELECT wrapped_key, wrapped_by FROM ${opened[0]!.names.quotedSchema}.personal_data_keys
        WHERE lead_id = $1`,
      [leadId],
    );
    return row;
  };
  const captured = async () => {
    const leadId = randomUUID();
    await run(
      await handlerOn(await processStore()),
      leadId,
      captureOf('Una Readable', 'una@unreadable.example'),
    );
    return leadId;
  };

  afterAll(closeAll);

  it('withholds the personal fields of a lead whose key row is damaged, and refuses new ones', async () => {
    const leadId = await captured();
    const before = await keyRow(leadId);
    await opened[0]!.sideTableExecutor().query(
      `UPDATE ${opened[0]!.names.quotedSchema}.personal_data_keys
          SET wrapped_key = $2 WHERE lead_id = $1`,
      [leadId, randomBytes(60).toString('base64')],
    );
    const store = await processStore();

    const answer = await timeline(store, leadId);
    expect(answer.status).not.toBe('erased');
    expect(answer.events[0]?.data).toMatchObject({
      contact: { name: WITHHELD_VALUE, email: WITHHELD_VALUE },
      company: { industry: 'software', country: 'IT' },
    });

    // The relay reads what the store holds: sealed values, no key needed.
    const stored = await store.readStream(leadStreamId(leadId));
    expect(isSealedValue((stored[0]?.data.contact as Record<string, unknown>).email)).toBe(true);

    // A new personal value: a clear refusal, and the damaged row is left as it was (never
    // replaced by a fresh key, which would make the lead's old values unreadable for good).
    const refusal = await run(await handlerOn(store), leadId, touch).catch((e: unknown) => e);
    expect(problemOf(refusal)).toMatchObject({ status: 422, code: 'lead_key_unreadable' });
    expect((await keyRow(leadId))?.wrapped_by).toBe(before?.wrapped_by);
    expect((await store.readStream(leadStreamId(leadId))).length).toBe(stored.length);
  });

  it('withholds the fields of a key wrapped under a master key this process does not hold', async () => {
    const leadId = await captured();
    const stranger = await processStore(new MasterKeyWrapper(randomBytes(32)));

    const answer = await timeline(stranger, leadId);
    expect(answer.events[0]?.data).toMatchObject({
      contact: { name: WITHHELD_VALUE, email: WITHHELD_VALUE },
    });
    const refusal = await run(await handlerOn(stranger), leadId, touch).catch((e: unknown) => e);
    expect(problemOf(refusal)).toMatchObject({ status: 422, code: 'lead_key_unreadable' });
  });

  it('answers 503 to retry while the key service does not answer', async () => {
    const leadId = await captured();
    const down = await processStore(unanswering(new MasterKeyWrapper(masterKey)));

    const failure = await timeline(down, leadId).catch((e: unknown) => e);
    expect(problemOf(failure)).toMatchObject({ status: 503, code: 'key_service_unavailable' });
    expect(problemOf(failure)?.retryAfterSeconds).toBeGreaterThan(0);
    const refusal = await run(await handlerOn(down), leadId, touch).catch((e: unknown) => e);
    expect(problemOf(refusal)).toMatchObject({ status: 503, code: 'key_service_unavailable' });
  });
});
