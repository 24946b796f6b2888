/**
 * The API's background rewrap (MasterKeyRotationService) on a real engine (PGlite in memory),
 * its passes driven directly instead of by its timer. Once every key is rewrapped it is not
 * done for good: it counts again a minute later, and a key a process still on the old master
 * key wrapped meanwhile (mid-rollout) is rewrapped then. A key the previous master key does not
 * unwrap blocks no other key: /health names it (`blocked` once it is all that is left), and a
 * row restored from a backup is rewrapped at the next pass. A key a third master key wrapped
 * (neither current nor previous) is counted and named apart, and left as it is. A key service
 * that does not answer an unwrap names no key: the pass is tried again, later each time.
 */
import { randomBytes } from 'node:crypto';
import { leadStreamId } from '@tandem/domain';
import {
  createPgliteEventStore,
  type EventStore,
  type KeyWrapper,
  MasterKeyWrapper,
  type PostgresEventStore,
  sealed,
  supportsPersonalData,
} from '@tandem/event-store';
import { scoredLeads } from '../../../../test/support/scored-leads';
import { MasterKeyRotationService, RECHECK_MS, RETRY_MS } from './master-key-rotation.service';

jest.setTimeout(120_000);

const previous = new MasterKeyWrapper(randomBytes(32));
const current = new MasterKeyWrapper(randomBytes(32));
const done = {
  state: 'done',
  keysUnderPreviousKey: 0,
  keysNotUnwrapped: 0,
  leadsWithKeysNotUnwrapped: [],
  keysUnderOtherMasterKeys: 0,
  leadsWithKeysUnderOtherMasterKeys: [],
};

describe('the background rewrap of a master-key rotation', () => {
  let inner: PostgresEventStore;
  /** A process of the rollout still on the old master key: it wraps new keys with it. */
  let oldReplica: EventStore;
  let rotating: EventStore;
  const leads = scoredLeads(6);

  beforeAll(async () => {
    inner = await createPgliteEventStore({ memory: true });
    oldReplica = sealed(inner, { wrapper: previous });
    rotating = sealed(inner, { wrapper: current, previousWrapper: previous });
  });

  afterAll(async () => {
    await inner?.close();
  });

  const capture = async (store: EventStore, index: number) => {
    const lead = leads[index]!;
    await store.append(leadStreamId(lead.leadId), lead.events, { expectedRevision: 'no_stream' });
    return lead.leadId;
  };
  const keyRow = async (leadId: string) => {
    const [row] = await inner
      .sideTableExecutor()
      .query(
        `SELECT wrapped_key, wrapped_by FROM ${inner.names.quotedSchema}.personal_data_keys WHERE lead_id = $1`,
        [leadId],
      );
    return row as { wrapped_key: string; wrapped_by: string };
  };
  const setWrappedKey = (leadId: string, wrappedKey: string) =>
    inner
      .sideTableExecutor()
      .query(
        `UPDATE ${inner.names.quotedSchema}.personal_data_keys SET wrapped_key = $2 WHERE lead_id = $1`,
        [leadId, wrappedKey],
      );

  it('counts again after done and rewraps a key the old master key wrapped since', async () => {
    const first = await capture(oldReplica, 0);
    const service = new MasterKeyRotationService(rotating);
    expect(service.health()).toMatchObject({ state: 'rewrapping', keysUnderPreviousKey: null });

    // Done: the next pass is a recount a minute later, not the end of it.
    expect(await service.pass()).toBe(RECHECK_MS);
    expect(service.health()).toEqual(done);
    expect((await keyRow(first)).wrapped_by).toBe(current.keyId);

    const late = await capture(oldReplica, 1);
    expect((await keyRow(late)).wrapped_by).toBe(previous.keyId);
    expect(await service.pass()).toBe(RECHECK_MS);
    expect(service.health()).toMatchObject({ state: 'done', keysUnderPreviousKey: 0 });
    expect((await keyRow(late)).wrapped_by).toBe(current.keyId);
  });

  it('names a key the previous master key does not unwrap, rewraps the others, and takes it once restored', async () => {
    const [damaged, other] = [await capture(oldReplica, 2), await capture(oldReplica, 3)];
    const backup = (await keyRow(damaged)).wrapped_key;
    const bytes = Buffer.from(backup, 'base64');
    bytes[0] = (bytes[0] ?? 0) ^ 0xff;
    await setWrappedKey(damaged, bytes.toString('base64'));
    const service = new MasterKeyRotationService(rotating);

    expect(await service.pass()).toBe(RECHECK_MS);
    expect(service.health()).toEqual({
      state: 'blocked',
      keysUnderPreviousKey: 1,
      keysNotUnwrapped: 1,
      leadsWithKeysNotUnwrapped: [damaged],
      keysUnderOtherMasterKeys: 0,
      leadsWithKeysUnderOtherMasterKeys: [],
    });
    expect(service.keysNotUnwrapped()).toBe(1);
    expect(await keyRow(damaged)).toEqual({
      wrapped_key: bytes.toString('base64'),
      wrapped_by: previous.keyId,
    });
    expect((await keyRow(other)).wrapped_by).toBe(current.keyId);

    // The operator restores the row from a backup: the next pass rewraps it.
    await setWrappedKey(damaged, backup);
    await service.pass();
    expect(service.health()).toEqual(done);
    expect((await keyRow(damaged)).wrapped_by).toBe(current.keyId);
  });

  it('takes a key service that did not answer for no bad key: the pass is tried again, later each time', async () => {
    const lead = await capture(oldReplica, 5);
    // The previous master key behind a key service that is down for two passes.
    let down = true;
    const unreachable: KeyWrapper = {
      keyId: previous.keyId,
      wrap: (dataKey, leadId) => previous.wrap(dataKey, leadId),
      unwrap: (wrapped, leadId) =>
        down
          ? Promise.reject(
              Object.assign(new Error('connect ECONNREFUSED kms'), { code: 'ECONNREFUSED' }),
            )
          : previous.unwrap(wrapped, leadId),
    };
    const service = new MasterKeyRotationService(
      sealed(inner, { wrapper: current, previousWrapper: unreachable }),
    );

    expect(await service.pass()).toBe(RETRY_MS);
    expect(await service.pass()).toBe(2 * RETRY_MS);
    // Not a key that does not unwrap: none named, none blocked, the row as it was.
    expect(service.health()).toMatchObject({
      state: 'rewrapping',
      keysNotUnwrapped: 0,
      leadsWithKeysNotUnwrapped: [],
    });
    expect((await keyRow(lead)).wrapped_by).toBe(previous.keyId);

    down = false;
    expect(await service.pass()).toBe(RECHECK_MS);
    expect(service.health()).toEqual(done);
    expect((await keyRow(lead)).wrapped_by).toBe(current.keyId);
  });

  it('counts and names the keys a third master key wrapped, which no pass takes', async () => {
    // A replica started with yet another TANDEM_MASTER_KEY: its keys are under neither.
    const third = new MasterKeyWrapper(randomBytes(32));
    const stray = await capture(sealed(inner, { wrapper: third }), 4);
    const service = new MasterKeyRotationService(rotating);

    expect(await service.pass()).toBe(RECHECK_MS);
    expect(service.health()).toEqual({
      ...done,
      keysUnderOtherMasterKeys: 1,
      leadsWithKeysUnderOtherMasterKeys: [stray],
    });
    expect(service.keysUnderOtherMasterKeys()).toBe(1);
    expect((await keyRow(stray)).wrapped_by).toBe(third.keyId); // left as it is

    // Erasing the lead (its key destroyed, as an erasure does first) takes it out of the count.
    if (!supportsPersonalData(rotating)) throw new Error('a sealed store erases keys');
    await rotating.shredLeadKeys([stray]);
    await service.pass();
    expect(service.health()).toEqual(done);
  });
});
