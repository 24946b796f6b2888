/**
 * Master-key rotation through the store (TANDEM_MASTER_KEY_PREVIOUS, docs/personal-data.md) on
 * both PostgreSQL engines: a store given the previous key opens the keys it wrapped, wraps new
 * keys only with the current one, and rewraps the rest a batch at a time, never an erased
 * lead's; two vaults rewrapping at once rewrite each key once and leave none behind. A key
 * the previous master key does not unwrap (damaged, or wrapped by another key) is passed over,
 * named and left as it is, and the keys after it are rewrapped; erasing its lead clears it.
 * A key whose row names a third master key is counted and named apart (no rotation takes it).
 * The count and the batches read an index of their own, which a failed build leaves invalid and
 * the next start builds again.
 */
import { randomUUID } from 'node:crypto';
import { ERASED_VALUE } from '@tandem/domain';
import {
  describeWithPglite,
  describeWithPostgresSchema,
  eventually,
  TEST_POSTGRES_URL,
} from '@tandem/testing';
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

  it('passes over keys the previous master key does not unwrap, names them, leaves them, rewraps the rest', async () => {
    // The unreadable keys sort first: a batch of "the first keys still under the previous key"
    // would meet them again at every try, and never reach the others.
    const [damaged, foreign, ...kept] = Array.from({ length: 5 }, () => randomUUID()).sort() as [
      string,
      string,
      ...string[],
    ];
    const before = sealed(await open(), { wrapper: previous });
    try {
      for (const leadId of [damaged, foreign, ...kept]) await capture(before, leadId);
    } finally {
      await before.close();
    }
    const inner = await open();
    const { quotedSchema } = inner.names;
    const db = inner.sideTableExecutor();
    const [damagedRow] = await db.query(
      `SELECT wrapped_key FROM ${quotedSchema}.personal_data_keys WHERE lead_id = $1`,
      [damaged],
    );
    const bytes = Buffer.from(damagedRow?.wrapped_key as string, 'base64');
    bytes[bytes.length - 1] = (bytes[bytes.length - 1] ?? 0) ^ 0xff;
    // Wrapped by a third master key, though its row names the previous one.
    const third = new MasterKeyWrapper(newDataKey());
    const broken = new Map([
      [damaged, bytes.toString('base64')],
      [foreign, (await third.wrap(newDataKey(), foreign)).toString('base64')],
    ]);
    for (const [leadId, wrappedKey] of broken) {
      await db.query(
        `UPDATE ${quotedSchema}.personal_data_keys SET wrapped_key = $2 WHERE lead_id = $1`,
        [leadId, wrappedKey],
      );
    }
    const rotating = sealed(inner, { wrapper: current, previousWrapper: previous });
    try {
      const rotation = keyRotationOf(rotating);
      if (rotation === null) throw new Error('a store given a previous key offers its rotation');
      const unreadable: string[] = [];
      for (let after = ''; ;) {
        const batch = await rotation.rewrapPrevious(2, after);
        if (batch.last === null) break;
        unreadable.push(...batch.unreadable);
        after = batch.last;
      }
      expect(unreadable).toEqual([damaged, foreign]);
      expect(await rotation.keysUnderPrevious()).toBe(2);
      const rows = await keyRows(inner, [damaged, foreign, ...kept]);
      for (const leadId of kept) expect(rows.get(leadId)?.wrapped_by).toBe(current.keyId);
      for (const [leadId, wrappedKey] of broken) {
        expect(rows.get(leadId)).toMatchObject({
          wrapped_key: wrappedKey,
          wrapped_by: previous.keyId,
        });
      }
      for (const leadId of kept) {
        expect(await contactOf(rotating, leadId)).toEqual({
          name: 'Rita Rotate',
          email: emailOf(leadId),
        });
      }
      // What an operator does with a key nothing opens: erase its lead (the row goes NULL).
      for (const leadId of broken.keys()) {
        await rotating.append(`lead-${leadId}`, [event(leadId, 'LeadErased', { reason: 'GDPR' })], {
          expectedRevision: 0n,
        });
      }
      expect(await rotation.keysUnderPrevious()).toBe(0);
    } finally {
      await rotating.close();
    }
  });

  it('counts and names the keys a third master key wrapped, which neither opens nor rewraps', async () => {
    // A replica started with another TANDEM_MASTER_KEY: its rows name that key.
    const third = new MasterKeyWrapper(newDataKey());
    const stray = randomUUID();
    const elsewhere = sealed(await open(), { wrapper: third });
    try {
      await capture(elsewhere, stray);
    } finally {
      await elsewhere.close();
    }
    const inner = await open();
    const rotating = sealed(inner, { wrapper: current, previousWrapper: previous });
    try {
      const rotation = keyRotationOf(rotating);
      if (rotation === null) throw new Error('a store given a previous key offers its rotation');
      for (let after = ''; ;) {
        const batch = await rotation.rewrapPrevious(500, after);
        if (batch.last === null) break;
        after = batch.last;
      }
      expect(await rotation.keysUnderOtherMasterKeys(20)).toEqual({ count: 1, leads: [stray] });
      expect(await rotation.keysUnderOtherMasterKeys(0)).toEqual({ count: 1, leads: [] });
      expect((await keyRows(inner, [stray])).get(stray)?.wrapped_by).toBe(third.keyId);
      await rotating.append(`lead-${stray}`, [event(stray, 'LeadErased', { reason: 'GDPR' })], {
        expectedRevision: 0n,
      });
      expect(await rotation.keysUnderOtherMasterKeys(20)).toEqual({ count: 0, leads: [] });
    } finally {
      await rotating.close();
    }
  });

  it('counts and reads the keys under the previous master key by an index, rebuilt if a build failed', async () => {
    const store = await open();
    const db = store.sideTableExecutor();
    const { quotedSchema } = store.names;
    const index = `${quotedSchema}.personal_data_keys_wrapped_by`;
    const plan = async (sql: string, params: unknown[]) =>
      db.transaction(async (tx) => {
        // A small table is read whole whatever its indexes: ask which index would serve.
        await tx.exec('SET LOCAL enable_seqscan = off; SET LOCAL enable_bitmapscan = off');
        return JSON.stringify(await tx.query(`EXPLAIN (FORMAT JSON) ${sql}`, params));
      });
    const state = async () =>
      (
        await db.query(
          `SELECT indisvalid AS valid, pg_get_indexdef(indexrelid) AS definition
             FROM pg_index WHERE indexrelid = to_regclass($1::text)`,
          [index],
        )
      )[0];
    try {
      const vault = new LeadKeyVault(db, quotedSchema, current, previous);
      await vault.init();
      const count = `SELECT count(*) FROM ${quotedSchema}.personal_data_keys
                      WHERE wrapped_by = $1 AND wrapped_key IS NOT NULL`;
      const batch = `SELECT lead_id, wrapped_key FROM ${quotedSchema}.personal_data_keys
                      WHERE wrapped_by = $1 AND wrapped_key IS NOT NULL AND lead_id > $3
                      ORDER BY lead_id LIMIT $2`;
      expect(await plan(count, [previous.keyId])).toContain('personal_data_keys_wrapped_by');
      const batchPlan = await plan(batch, [previous.keyId, 500, '']);
      expect(batchPlan).toContain('personal_data_keys_wrapped_by');
      expect(batchPlan).not.toContain('"Sort"');

      // A concurrent build that failed leaves its index INVALID under the name: rebuilt at start.
      // (Two keys under one master key first: the unique build fails on them.)
      const older = sealed(store, { wrapper: previous });
      for (const leadId of [randomUUID(), randomUUID()]) await capture(older, leadId);
      await db.exec(`DROP INDEX ${index}`);
      await expect(
        db.exec(
          `CREATE UNIQUE INDEX CONCURRENTLY personal_data_keys_wrapped_by
             ON ${quotedSchema}.personal_data_keys (wrapped_by)`,
        ),
      ).rejects.toThrow();
      expect(await state()).toMatchObject({ valid: false });
      // The failed build's session shows as building it until it has cleaned up after the error
      // (it answers the client first): a start would leave the index to it meanwhile.
      await eventually(async () => {
        const [building] = await db.query(
          `SELECT count(*)::int AS n FROM pg_stat_progress_create_index
            WHERE index_relid = to_regclass($1::text)`,
          [index],
        );
        return building?.n === 0 ? true : undefined;
      }, 'the failed build ended');
      await new LeadKeyVault(db, quotedSchema, current, previous).init();
      const rebuilt = await state();
      expect(rebuilt?.valid).toBe(true);
      expect(rebuilt?.definition).toContain(
        '(wrapped_by, lead_id) WHERE (wrapped_key IS NOT NULL)',
      );
      // Leave none under the previous key for the specs after this one.
      await new LeadKeyVault(db, quotedSchema, current, previous).rewrap(previous);
    } finally {
      await store.close();
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
