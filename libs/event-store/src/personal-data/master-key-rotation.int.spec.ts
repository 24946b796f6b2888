/**
 * Master-key rotation through the store (TANDEM_MASTER_KEY_PREVIOUS, docs/personal-data.md) on
 * both PostgreSQL engines: a store given the previous key opens the keys it wrapped, wraps new
 * keys only with the current one, and rewraps the rest a batch at a time, never an erased
 * lead's; two vaults rewrapping at once rewrite each key once and leave none behind.
 */
import { randomUUID } from 'node:crypto';
import { ERASED_VALUE } from '@tandem/domain';
import { describeWithPglite, describeWithPostgresSchema, TEST_POSTGRES_URL } from '@tandem/testing';
import type { EventStore } from '../event-store.port';
import { sealed } from '../event-store.factory';
import type { PostgresEventStore } from '../postgres/postgres-event-store';
import {
  createPgliteEventStore,
  createPostgresEventStore,
} from '../postgres/postgres-event-store.factories';
import type { KeyWrapper } from './key-wrapper.port';
import { LeadKeyVault } from './lead-key.vault';
import { MasterKeyWrapper } from './master-key.wrapper';
import { newDataKey } from './personal-data.cipher';
import { keyRotationOf, supportsPersonalData } from './personal-data.reader';
import { leadEvent } from './testing/lead-event';

jest.setTimeout(120_000);

const event = (leadId: string, type: string, data: Record<string, unknown>) =>
  leadEvent(leadId, type, data, 2);
const emailOf = (leadId: string) => `lead.${leadId}@rotation.example`;

async function capture(store: EventStore, leadId: string): Promise<void> {
  await store.append(
    `lead-${leadId}`,
    [
      event(leadId, 'LeadCaptured', {
        contact: { name: 'Rita Rotate', email: emailOf(leadId) },
        company: { name: 'Rotation Ltd' },
        source: { channel: 'web' },
      }),
    ],
    { expectedRevision: 'no_stream' },
  );
}

async function contactOf(store: EventStore, leadId: string): Promise<unknown> {
  if (!supportsPersonalData(store)) throw new Error('a sealed store opens personal data');
  const opened = await store.personalData.openLeadEvents(
    leadId,
    await store.readStream(`lead-${leadId}`),
  );
  return opened[0]?.data.contact;
}

async function keyRows(store: PostgresEventStore, leadIds: readonly string[]) {
  const rows = await store.sideTableExecutor().query(
    `SELECT lead_id, wrapped_key, wrapped_by FROM ${store.names.quotedSchema}.personal_data_keys
        WHERE lead_id = ANY($1::text[])`,
    [leadIds],
  );
  return new Map(rows.map((row) => [row.lead_id as string, row]));
}

/** The current master key's wrapper, whose first wrap waits until `parties` wrappers reached it. */
function gatedWrappers(current: MasterKeyWrapper, parties: number): KeyWrapper[] {
  let arrived = 0;
  let open: () => void = () => {};
  const gate = new Promise<void>((resolve) => (open = resolve));
  return Array.from({ length: parties }, () => {
    let waited = false;
    return {
      keyId: current.keyId,
      async wrap(dataKey: Buffer, leadId: string) {
        if (!waited) {
          waited = true;
          if (++arrived === parties) open();
          await gate;
        }
        return current.wrap(dataKey, leadId);
      },
      unwrap: (wrapped: Buffer, leadId: string) => current.unwrap(wrapped, leadId),
    };
  });
}

function describeRotation(open: () => Promise<PostgresEventStore>): void {
  const previous = new MasterKeyWrapper(newDataKey());
  const current = new MasterKeyWrapper(newDataKey());

  it('opens keys the previous master key wrapped, wraps new ones with the current, rewraps the rest but no erased lead', async () => {
    const [kept, alsoKept, erased, fresh] = [
      randomUUID(),
      randomUUID(),
      randomUUID(),
      randomUUID(),
    ];
    const before = sealed(await open(), { wrapper: previous });
    try {
      for (const leadId of [kept, alsoKept, erased]) await capture(before, leadId);
      await before.append(`lead-${erased}`, [event(erased, 'LeadErased', { reason: 'GDPR' })], {
        expectedRevision: 0n,
      });
    } finally {
      await before.close();
    }

    const inner = await open();
    const rotating = sealed(inner, { wrapper: current, previousWrapper: previous });
    try {
      expect(await contactOf(rotating, kept)).toEqual({
        name: 'Rita Rotate',
        email: emailOf(kept),
      });
      await capture(rotating, fresh);
      expect((await keyRows(inner, [fresh])).get(fresh)?.wrapped_by).toBe(current.keyId);

      const rotation = keyRotationOf(rotating);
      if (rotation === null) throw new Error('a store given a previous key offers its rotation');
      expect(await rotation.keysUnderPrevious()).toBeGreaterThanOrEqual(2);
      for (;;) {
        const batch = await rotation.rewrapPrevious(1);
        if (batch.selected === 0) break;
      }
      expect(await rotation.keysUnderPrevious()).toBe(0);
      const rows = await keyRows(inner, [kept, alsoKept, erased]);
      expect(rows.get(kept)?.wrapped_by).toBe(current.keyId);
      expect(rows.get(alsoKept)?.wrapped_by).toBe(current.keyId);
      expect(rows.get(erased)).toMatchObject({ wrapped_key: null, wrapped_by: null });
    } finally {
      await rotating.close();
    }

    // The previous key discarded: the current one alone opens every kept lead, none erased.
    const after = sealed(await open(), { wrapper: current });
    try {
      for (const leadId of [kept, alsoKept, fresh]) {
        expect(await contactOf(after, leadId)).toEqual({
          name: 'Rita Rotate',
          email: emailOf(leadId),
        });
      }
      expect(await contactOf(after, erased)).toEqual({ name: ERASED_VALUE, email: ERASED_VALUE });
      expect(keyRotationOf(after)).toBeNull();
    } finally {
      await after.close();
    }
  });

  it('two vaults rewrapping at once rewrite each key once and leave none under the previous key', async () => {
    const leadIds = Array.from({ length: 6 }, () => randomUUID());
    const before = sealed(await open(), { wrapper: previous });
    try {
      for (const leadId of leadIds) await capture(before, leadId);
    } finally {
      await before.close();
    }
    const [one, two] = [await open(), await open()];
    try {
      // Both read the same first batch before either writes: the race the condition settles.
      const [gateOne, gateTwo] = gatedWrappers(current, 2) as [KeyWrapper, KeyWrapper];
      const vaults = [
        new LeadKeyVault(one.sideTableExecutor(), one.names.quotedSchema, gateOne, previous),
        new LeadKeyVault(two.sideTableExecutor(), two.names.quotedSchema, gateTwo, previous),
      ];
      const counts = await Promise.all(vaults.map((vault) => vault.rewrap(previous, 3)));
      expect(counts.reduce((sum, count) => sum + count, 0)).toBe(leadIds.length);
      expect(await vaults[0]?.keysUnderPrevious()).toBe(0);
      const rows = await keyRows(one, leadIds);
      expect([...rows.values()].map((row) => row.wrapped_by)).toEqual(
        leadIds.map(() => current.keyId),
      );
    } finally {
      await one.close();
      await two.close();
    }
    const after = sealed(await open(), { wrapper: current });
    try {
      for (const leadId of leadIds) {
        expect(await contactOf(after, leadId)).toEqual({
          name: 'Rita Rotate',
          email: emailOf(leadId),
        });
      }
    } finally {
      await after.close();
    }
  });
}

describeWithPglite('master-key rotation on PGlite', (db) => {
  // Stores on a caller-owned PGlite instance leave the instance open when closed.
  describeRotation(() => createPgliteEventStore({ db: db(), schema: 'key_rotation' }));
});

describeWithPostgresSchema('master-key rotation on PostgreSQL', 'key_rotation', (schema) => {
  describeRotation(() =>
    createPostgresEventStore({ connectionString: TEST_POSTGRES_URL, schema, poolSize: 2 }),
  );
});
