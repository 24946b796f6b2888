import { randomUUID } from 'node:crypto';
import { ERASED_VALUE, isSealedValue } from '@tandem/domain';
import {
  describeWhenPostgres,
  dropSchema,
  freshSchemaName,
  postgresUnavailableReason,
  TEST_POSTGRES_URL,
} from '@tandem/testing';
import { Client } from 'pg';
import { sealedWithKeyStore } from '../event-store.factory';
import type { EventStore } from '../event-store.port';
import { createPgliteEventStore } from '../postgres/postgres-event-store.factories';
import { MasterKeyWrapper } from './master-key.wrapper';
import { newDataKey } from './personal-data.cipher';
import { supportsPersonalData } from './personal-data.reader';
import { leadEvent } from './testing/lead-event';

// A KurrentDB deployment keeps its per-lead keys in PostgreSQL. KurrentDB cannot run here, so
// the events go to a plain (unsealed) PGlite store standing in for any store without a key
// table: what is under test is the composition — sealing before the inner store sees an
// event, keys and shredding in the separate PostgreSQL schema, one close for both.
const event = leadEvent;

describeWhenPostgres(postgresUnavailableReason())(
  'a store without a key table, sealed with its keys in PostgreSQL (KurrentDB deployments)',
  () => {
    const schema = freshSchemaName('keys');
    let store: EventStore;
    let inner: EventStore;

    beforeAll(async () => {
      inner = await createPgliteEventStore({ memory: true });
      store = sealedWithKeyStore(
        inner,
        { url: TEST_POSTGRES_URL, schema },
        { wrapper: new MasterKeyWrapper(newDataKey()) },
      );
    });
    afterAll(async () => {
      await store.close();
      await dropSchema(schema);
    });

    async function keyRows(leadId: string) {
      const client = new Client({ connectionString: TEST_POSTGRES_URL });
      await client.connect();
      try {
        const result = await client.query<{ wrapped_key: string | null }>(
          `SELECT wrapped_key FROM "${schema}".personal_data_keys WHERE lead_id = $1`,
          [leadId],
        );
        return result.rows;
      } finally {
        await client.end();
      }
    }

    it('the inner store receives only ciphertext; the key is a row in the PostgreSQL schema', async () => {
      const leadId = randomUUID();
      await store.append(
        `lead-${leadId}`,
        [
          event(leadId, 'LeadCaptured', {
            contact: { name: 'Ada Lovelace', email: 'ada@kurrent.example' },
            company: { name: 'Engines Ltd', industry: 'software' },
          }),
        ],
        { expectedRevision: 'no_stream' },
      );
      const raw = await inner.readStream(`lead-${leadId}`);
      expect(JSON.stringify(raw[0]?.data)).not.toContain('ada@kurrent.example');
      expect(isSealedValue((raw[0]?.data.contact as Record<string, unknown>).email)).toBe(true);
      const [row] = await keyRows(leadId);
      expect(row?.wrapped_key).toEqual(expect.any(String));

      await store.append(`lead-${leadId}`, [event(leadId, 'LeadErased', { reason: 'GDPR-7' })], {
        expectedRevision: 0n,
      });
      expect(await keyRows(leadId)).toEqual([{ wrapped_key: null }]);
      if (!supportsPersonalData(store)) throw new Error('the sealed store opens personal data');
      const opened = await store.personalData.openLeadEvents(
        leadId,
        await store.readStream(`lead-${leadId}`),
      );
      expect(opened[0]?.data.contact).toEqual({ name: ERASED_VALUE, email: ERASED_VALUE });
    });
  },
);
