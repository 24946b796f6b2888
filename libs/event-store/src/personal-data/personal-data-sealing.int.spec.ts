import { randomUUID } from 'node:crypto';
import { ERASED_VALUE, isSealedValue } from '@tandem/domain';
import { supportsBulkAppend, type EventStore } from '../event-store.port';
import { supportsIdempotency } from '../idempotency/idempotency-store.port';
import { sealed } from '../event-store.factory';
import { createPgliteEventStore } from '../postgres/postgres-event-store.factories';
import type { PostgresEventStore } from '../postgres/postgres-event-store';
import { LeadKeyVault } from './lead-key.vault';
import { MasterKeyWrapper } from './master-key.wrapper';
import { newDataKey } from './personal-data.cipher';
import { supportsPersonalData } from './personal-data.reader';
import { leadEvent } from './testing/lead-event';

const event = leadEvent;
const captured = (leadId: string, email: string) =>
  event(leadId, 'LeadCaptured', {
    contact: { name: 'Ada Lovelace', email },
    company: { name: 'Engines Ltd', industry: 'software' },
  });

describe('the personal-data sealing store over PGlite', () => {
  let inner: PostgresEventStore;
  let store: EventStore;
  const master = new MasterKeyWrapper(newDataKey());

  beforeAll(async () => {
    inner = await createPgliteEventStore({ memory: true });
    store = sealed(inner, { wrapper: master });
  });
  afterAll(() => store.close());

  it('keeps the adapter’s optional capabilities', () => {
    expect(supportsBulkAppend(store)).toBe(true);
    expect(supportsIdempotency(store)).toBe(true);
    expect(supportsPersonalData(store)).toBe(true);
  });

  it('stores ciphertext, opens it for the timeline, and shows erased after LeadErased', async () => {
    const leadId = randomUUID();
    await store.append(`lead-${leadId}`, [captured(leadId, 'ada@engines.example')], {
      expectedRevision: 'no_stream',
    });
    const stored = await store.readStream(`lead-${leadId}`);
    expect(JSON.stringify(stored[0]?.data)).not.toContain('ada@engines.example');
    expect(isSealedValue((stored[0]?.data.contact as Record<string, unknown>).email)).toBe(true);
    if (!supportsPersonalData(store)) throw new Error('unreachable');
    const opened = await store.personalData.openLeadEvents(leadId, stored);
    expect(opened[0]?.data.contact).toEqual({ name: 'Ada Lovelace', email: 'ada@engines.example' });

    await store.append(`lead-${leadId}`, [event(leadId, 'LeadErased', { reason: 'GDPR-1' })], {
      expectedRevision: 0n,
    });
    const afterErasure = await store.personalData.openLeadEvents(
      leadId,
      await store.readStream(`lead-${leadId}`),
    );
    expect(afterErasure[0]?.data.contact).toEqual({ name: ERASED_VALUE, email: ERASED_VALUE });
    expect(afterErasure[1]?.data).toEqual({ reason: 'GDPR-1' });
    // and nothing personal can be recorded for it again
    await expect(
      store.append(
        `lead-${leadId}`,
        [event(leadId, 'LeadAcceptedBySales', { owner: 'x', note: 'hi' })],
        {
          expectedRevision: 1n,
        },
      ),
    ).rejects.toThrow(/was erased/);
  });

  it('seals bulk appends too, one key per lead', async () => {
    if (!supportsBulkAppend(store) || !supportsPersonalData(store)) throw new Error('unreachable');
    const [a, b] = [randomUUID(), randomUUID()];
    await store.appendToNewStreams([
      { streamId: `lead-${a}`, event: captured(a, 'a@bulk.example') },
      { streamId: `lead-${b}`, event: captured(b, 'b@bulk.example') },
      {
        streamId: `lead-${a}`,
        event: event(a, 'TouchpointRecorded', { content: 'call a@bulk.example' }),
      },
    ]);
    const streamA = await store.readStream(`lead-${a}`);
    expect(JSON.stringify(streamA.map((e) => e.data))).not.toContain('bulk.example');
    const opened = await store.personalData.openLeadEvents(a, streamA);
    expect(opened[1]?.data.content).toBe('call a@bulk.example');
    // b's key does not open a's values
    await expect(store.personalData.openLeadEvents(b, streamA)).rejects.toThrow(/does not open/);
  });

  it('rewraps every key under a new master key (rotation) and keeps values readable', async () => {
    const leadId = randomUUID();
    await store.append(`lead-${leadId}`, [captured(leadId, 'rot@engines.example')], {
      expectedRevision: 'no_stream',
    });
    const next = new MasterKeyWrapper(newDataKey());
    const rotated = new LeadKeyVault(inner.sideTableExecutor(), inner.names.quotedSchema, next);
    expect(await rotated.rewrap(master)).toBeGreaterThan(0);
    expect(await rotated.rewrap(master)).toBe(0);
    const key = (await rotated.keysToOpen([leadId])).get(leadId);
    expect(key?.kind).toBe('key');
    // the old master key no longer unwraps anything: the key reads as unreadable (values
    // withheld), never as a key or an erasure
    const old = new LeadKeyVault(inner.sideTableExecutor(), inner.names.quotedSchema, master);
    expect((await old.keysToOpen([leadId])).get(leadId)).toMatchObject({ kind: 'unreadable' });
  });
});
