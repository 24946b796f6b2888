/**
 * A new lead's data key rides in the transaction of its first sealed append (ADR 0009, ADR
 * 0013), on PGlite and on the local PostgreSQL server: one statement for a capture, shared
 * with concurrent appends; the key and the events commit together or neither does — a
 * refused append, a failed group statement, a connection killed mid-transaction; a lead that
 * has a row already (a key, a tombstone) keeps it.
 */
import { randomUUID } from 'node:crypto';
import { isSealedValue } from '@tandem/domain';
import {
  TEST_POSTGRES_URL,
  describeWithPglite,
  describeWithPostgresSchema,
  eventually,
} from '@tandem/testing';
import { Client } from 'pg';
import { WrongExpectedRevisionError } from '../event-store.errors';
import { sealed } from '../event-store.factory';
import type { EventStore, EventToAppend } from '../event-store.port';
import { PgPoolExecutor } from '../postgres/pg-pool.executor';
import { PgliteExecutor } from '../postgres/pglite.executor';
import { PostgresEventStore } from '../postgres/postgres-event-store';
import type { SqlExecutor, SqlRow, SqlTransaction } from '../postgres/sql-executor';
import { LeadKeyVault } from './lead-key.vault';
import { MasterKeyWrapper } from './master-key.wrapper';
import { ErasedLeadWriteError } from './personal-data.codec';
import { newDataKey } from './personal-data.cipher';
import { supportsPersonalData } from './personal-data.reader';

/** Every statement the store sends, transactions included. */
class CountingExecutor implements SqlExecutor {
  statements: string[] = [];

  constructor(private readonly inner: SqlExecutor) {}

  query(sql: string, params?: readonly unknown[]): Promise<SqlRow[]> {
    this.statements.push(sql);
    return this.inner.query(sql, params);
  }

  exec(sql: string): Promise<void> {
    this.statements.push(sql);
    return this.inner.exec(sql);
  }

  transaction<T>(work: (tx: SqlTransaction) => Promise<T>): Promise<T> {
    this.statements.push('BEGIN');
    return this.inner.transaction((tx) =>
      work({
        query: (sql, params) => {
          this.statements.push(sql);
          return tx.query(sql, params);
        },
        exec: (sql) => {
          this.statements.push(sql);
          return tx.exec(sql);
        },
        copyFrom: (target, text) => tx.copyFrom(target, text),
      }),
    );
  }

  listen(
    channel: string,
    onNotify: () => void,
    onLost: (error: unknown) => void,
  ): Promise<() => Promise<void>> {
    return this.inner.listen(channel, onNotify, onLost);
  }

  close(): Promise<void> {
    return this.inner.close();
  }
}

interface Harness {
  readonly store: EventStore;
  readonly inner: PostgresEventStore;
  readonly counting: CountingExecutor;
  readonly master: MasterKeyWrapper;
  /** Any statement, outside the store (test set-up and inspection). */
  readonly raw: (sql: string, params?: readonly unknown[]) => Promise<SqlRow[]>;
  readonly close: () => Promise<void>;
}

const captured = (
  leadId: string,
  email: string,
  metadata: Record<string, unknown> = {},
): EventToAppend => ({
  eventId: randomUUID(),
  type: 'LeadCaptured',
  schemaVersion: 1,
  data: {
    contact: { name: 'Ada Lovelace', email },
    company: { name: 'Engines Ltd', industry: 'software' },
  },
  metadata: { leadId, ...metadata },
});

/** An event with nothing personal: appending it needs no key. */
const plain = (leadId: string): EventToAppend => ({
  eventId: randomUUID(),
  type: 'LeadProfiled',
  schemaVersion: 1,
  data: { industry: 'software' },
  metadata: { leadId },
});

async function opened(store: EventStore, leadId: string): Promise<unknown> {
  if (!supportsPersonalData(store)) throw new Error('the sealed store opens personal data');
  const events = await store.readStream(`lead-${leadId}`);
  return (await store.personalData.openLeadEvents(leadId, events))[0]?.data.contact;
}

/**
 * A test-only trigger on the events table: refuses an event marked `refuse`, and holds one
 * marked `holdOn` on that advisory lock — inside the append's transaction, after its key was
 * inserted (the group inserts keys before events).
 */
async function installTestTrigger(h: Harness): Promise<void> {
  const s = h.inner.names.quotedSchema;
  await h.raw(`
    CREATE OR REPLACE FUNCTION ${s}.test_refuse_marked() RETURNS trigger LANGUAGE plpgsql AS $t$
    BEGIN
      IF NEW.metadata ->> 'refuse' = 'yes' THEN
        RAISE EXCEPTION 'refused by the test trigger';
      END IF;
      IF NEW.metadata ->> 'holdOn' IS NOT NULL THEN
        PERFORM pg_advisory_xact_lock((NEW.metadata ->> 'holdOn')::bigint);
      END IF;
      RETURN NEW;
    END $t$`);
  await h.raw(`DROP TRIGGER IF EXISTS test_refuse_marked ON ${s}.events`);
  await h.raw(`
    CREATE TRIGGER test_refuse_marked BEFORE INSERT ON ${s}.events
       FOR EACH ROW EXECUTE FUNCTION ${s}.test_refuse_marked()`);
}

function describeKeyInTheAppend(name: string, open: () => Promise<Harness>): void {
  describe(name, () => {
    let h: Harness;
    let keysTable: string;

    beforeAll(async () => {
      h = await open();
      keysTable = `${h.inner.names.quotedSchema}.personal_data_keys`;
      // The vault opens (and makes its table) on the first sealed append.
      const warm = randomUUID();
      await h.store.append(`lead-${warm}`, [captured(warm, 'warm@keys.example')], {
        expectedRevision: 'no_stream',
      });
      await installTestTrigger(h);
    });
    afterAll(() => h.close());

    const keyRow = async (leadId: string) =>
      (await h.raw(`SELECT wrapped_key FROM ${keysTable} WHERE lead_id = $1`, [leadId]))[0];

    it('a capture is one statement: its key is recorded by the append itself', async () => {
      const leadId = randomUUID();
      h.counting.statements = [];
      await h.store.append(`lead-${leadId}`, [captured(leadId, 'one@keys.example')], {
        expectedRevision: 'no_stream',
      });
      expect(h.counting.statements).toHaveLength(1);
      expect(h.counting.statements[0]).toContain('append_events_group');
      expect((await keyRow(leadId))?.wrapped_key).toEqual(expect.any(String));
      const stored = await h.store.readStream(`lead-${leadId}`);
      expect(isSealedValue((stored[0]?.data.contact as Record<string, unknown>).email)).toBe(true);
      expect(await opened(h.store, leadId)).toEqual({
        name: 'Ada Lovelace',
        email: 'one@keys.example',
      });
      // the next append of the lead seals with the key this process made (no unwrap), after
      // one lookup that the key was not shredded since by another process: two statements
      h.counting.statements = [];
      await h.store.append(
        `lead-${leadId}`,
        [
          {
            ...plain(leadId),
            type: 'TouchpointRecorded',
            data: { content: 'call one@keys.example' },
          },
        ],
        { expectedRevision: 0n },
      );
      expect(h.counting.statements).toHaveLength(2);
      expect(h.counting.statements.join('\n')).toContain('append_events(');
      expect(h.counting.statements.join('\n')).toContain('wrapped_key IS NULL');
    });

    it('concurrent captures of different leads share one statement with all their keys', async () => {
      const leads = Array.from({ length: 6 }, () => randomUUID());
      h.counting.statements = [];
      await Promise.all(
        leads.map((leadId) =>
          h.store.append(`lead-${leadId}`, [captured(leadId, `${leadId}@keys.example`)], {
            expectedRevision: 'no_stream',
          }),
        ),
      );
      expect(h.counting.statements).toHaveLength(1);
      for (const leadId of leads) {
        expect(await opened(h.store, leadId)).toEqual({
          name: 'Ada Lovelace',
          email: `${leadId}@keys.example`,
        });
      }
    });

    it('a lead that has a key already keeps it: the capture is sealed under that key', async () => {
      const leadId = randomUUID();
      // another process made the lead's key (the path that inserts it on its own)
      const other = new LeadKeyVault(
        h.inner.sideTableExecutor(),
        h.inner.names.quotedSchema,
        h.master,
      );
      await other.keysToSeal([leadId]);
      const before = await keyRow(leadId);
      await h.store.append(`lead-${leadId}`, [captured(leadId, 'kept@keys.example')], {
        expectedRevision: 'no_stream',
      });
      expect(await keyRow(leadId)).toEqual(before);
      expect(await opened(h.store, leadId)).toEqual({
        name: 'Ada Lovelace',
        email: 'kept@keys.example',
      });
    });

    it('an erased lead keeps its tombstone: nothing personal is written for it', async () => {
      const leadId = randomUUID();
      const other = new LeadKeyVault(
        h.inner.sideTableExecutor(),
        h.inner.names.quotedSchema,
        h.master,
      );
      await other.shred(leadId);
      await expect(
        h.store.append(`lead-${leadId}`, [captured(leadId, 'gone@keys.example')], {
          expectedRevision: 'no_stream',
        }),
      ).rejects.toThrow(ErasedLeadWriteError);
      expect(await keyRow(leadId)).toEqual({ wrapped_key: null });
      expect(await h.store.readStream(`lead-${leadId}`)).toEqual([]);
    });

    it('a refused append records no key', async () => {
      const leadId = randomUUID();
      await h.inner.append(`lead-${leadId}`, [plain(leadId)], { expectedRevision: 'no_stream' });
      await expect(
        h.store.append(`lead-${leadId}`, [captured(leadId, 'late@keys.example')], {
          expectedRevision: 'no_stream',
        }),
      ).rejects.toThrow(WrongExpectedRevisionError);
      expect(await keyRow(leadId)).toBeUndefined();
      expect(await h.store.readStream(`lead-${leadId}`)).toHaveLength(1);
    });

    it('a group statement that fails writes no key and no event; its other appends land alone', async () => {
      const [good, bad] = [randomUUID(), randomUUID()];
      const results = await Promise.allSettled([
        h.store.append(`lead-${good}`, [captured(good, 'good@keys.example')], {
          expectedRevision: 'no_stream',
        }),
        h.store.append(`lead-${bad}`, [captured(bad, 'bad@keys.example', { refuse: 'yes' })], {
          expectedRevision: 'no_stream',
        }),
      ]);
      expect(results.map((result) => result.status)).toEqual(['fulfilled', 'rejected']);
      expect(String((results[1] as PromiseRejectedResult).reason)).toMatch(/refused by the test/);
      expect(await keyRow(bad)).toBeUndefined();
      expect(await h.store.readStream(`lead-${bad}`)).toEqual([]);
      expect(await opened(h.store, good)).toEqual({
        name: 'Ada Lovelace',
        email: 'good@keys.example',
      });
      // a retry makes a fresh key and lands, readable
      await h.store.append(`lead-${bad}`, [captured(bad, 'bad@keys.example')], {
        expectedRevision: 'no_stream',
      });
      expect(await opened(h.store, bad)).toEqual({
        name: 'Ada Lovelace',
        email: 'bad@keys.example',
      });
    });

    it('under an idempotency reservation the key commits with the fenced append, or not at all', async () => {
      const idempotency = h.inner.idempotency;
      const reserve = async () => {
        const outcome = await idempotency.reserve(`scope-${randomUUID()}`, 'fp', {
          ttlSeconds: 60,
          leaseSeconds: 30,
        });
        if (outcome.kind !== 'reserved') throw new Error(`not reserved: ${outcome.kind}`);
        return outcome.reservation;
      };
      const leadId = randomUUID();
      await idempotency.runReserved(await reserve(), () =>
        h.store.append(`lead-${leadId}`, [captured(leadId, 'fenced@keys.example')], {
          expectedRevision: 'no_stream',
        }),
      );
      expect(await opened(h.store, leadId)).toEqual({
        name: 'Ada Lovelace',
        email: 'fenced@keys.example',
      });

      const refused = randomUUID();
      await expect(
        idempotency.runReserved(await reserve(), () =>
          h.store.append(
            `lead-${refused}`,
            [captured(refused, 'refused@keys.example', { refuse: 'yes' })],
            { expectedRevision: 'no_stream' },
          ),
        ),
      ).rejects.toThrow(/refused by the test/);
      expect(await keyRow(refused)).toBeUndefined();
      expect(await h.store.readStream(`lead-${refused}`)).toEqual([]);
    });
  });
}

const master = () => new MasterKeyWrapper(newDataKey());

describeWithPglite('a new lead key in the append’s transaction, PGlite', (db) => {
  describeKeyInTheAppend('PGlite in memory', async () => {
    const counting = new CountingExecutor(new PgliteExecutor(db(), false));
    const inner = new PostgresEventStore({
      executor: counting,
      schema: 'lead_key_append',
      singleSession: true,
    });
    await inner.init();
    const wrapper = master();
    const raw = new PgliteExecutor(db(), false);
    return {
      store: sealed(inner, { wrapper }),
      inner,
      counting,
      master: wrapper,
      raw: (sql, params) => raw.query(sql, params),
      close: () => inner.close(),
    };
  });
});

describeWithPostgresSchema(
  'a new lead key in the append’s transaction, PostgreSQL',
  'lead_key',
  (schema) => {
    let client: Client;
    beforeAll(async () => {
      client = new Client({ connectionString: TEST_POSTGRES_URL });
      await client.connect();
    });
    afterAll(() => client.end());

    const open = async (): Promise<Harness> => {
      const counting = new CountingExecutor(
        new PgPoolExecutor({ connectionString: TEST_POSTGRES_URL, poolSize: 4 }),
      );
      const inner = new PostgresEventStore({ executor: counting, schema, pollIntervalMs: 100 });
      await inner.init();
      const wrapper = master();
      return {
        store: sealed(inner, { wrapper }),
        inner,
        counting,
        master: wrapper,
        raw: async (sql, params) => (await client.query(sql, params as unknown[])).rows as SqlRow[],
        close: () => inner.close(),
      };
    };

    describeKeyInTheAppend('PostgreSQL server', open);

    it('a connection killed inside the append’s transaction leaves neither key nor events', async () => {
      const h = await open();
      await installTestTrigger(h);
      const holder = new Client({ connectionString: TEST_POSTGRES_URL });
      await holder.connect();
      const hold = 7_340_033; // an advisory key no store uses (theirs are two-part keys)
      try {
        await holder.query('SELECT pg_advisory_lock($1::bigint)', [hold]);
        const leadId = randomUUID();
        const settled = h.store
          .append(`lead-${leadId}`, [captured(leadId, 'crash@keys.example', { holdOn: hold })], {
            expectedRevision: 'no_stream',
          })
          .then(
            () => 'appended',
            (error: unknown) => error,
          );
        // The append waits on the lock inside its transaction, its key already inserted.
        const pid = await eventually(async () => {
          const { rows } = await holder.query<{ pid: number }>(
            `SELECT pid FROM pg_locks
            WHERE locktype = 'advisory' AND NOT granted AND objid = $1 AND objsubid = 1`,
            [hold],
          );
          return rows[0]?.pid;
        }, 'the append waits inside its transaction');
        const keys = `${h.inner.names.quotedSchema}.personal_data_keys`;
        const keyRows = async () =>
          (await holder.query(`SELECT 1 FROM ${keys} WHERE lead_id = $1`, [leadId])).rowCount;
        expect(await keyRows()).toBe(0); // not committed: nobody sees it
        await holder.query('SELECT pg_terminate_backend($1)', [pid]);
        expect(await settled).toBeInstanceOf(Error);
        expect(await keyRows()).toBe(0);
        expect(await h.store.readStream(`lead-${leadId}`)).toEqual([]);
      } finally {
        await holder.end();
        await h.close();
      }
    });
  },
);
