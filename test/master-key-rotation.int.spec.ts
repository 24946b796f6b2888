/**
 * A master-key rotation on a running API (docs/personal-data.md, ADR 0009 addendum): leads are
 * captured under one master key and one is erased; the API restarts with a new
 * TANDEM_MASTER_KEY and the old one as TANDEM_MASTER_KEY_PREVIOUS. It still opens the leads the
 * old key wrapped, rewraps every one of them in the background and says so in /health and
 * /metrics, leaving the erased lead's row empty; restarted without the previous key it opens
 * every kept lead and still none of the erased one.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MasterKeyWrapper } from '@tandem/event-store';
import { Client } from 'pg';
import request from 'supertest';
import type { App } from 'supertest/types';
import { asRole } from './support/auth-headers';
import { eventually } from './support/eventually';
import { type FunnelApiFixture, startFunnelApi } from './support/funnel-api.fixture';
import {
  TEST_POSTGRES_URL,
  describeWhenPostgres,
  dropSchema,
  freshSchemaName,
  postgresUnavailableReason,
} from './support/postgres';
import { randomBytes } from 'node:crypto';

jest.setTimeout(240_000);

const oldKey = randomBytes(32);
const newKey = randomBytes(32);
const environment = { ...process.env };

/** The API on the spec's schema, under the given master keys; only its app is closed after. */
async function apiWith(
  chdbPath: string,
  schema: string,
  keys: { readonly current: Buffer; readonly previous?: Buffer },
): Promise<FunnelApiFixture & { readonly http: App }> {
  process.env.TANDEM_MASTER_KEY = keys.current.toString('base64');
  if (keys.previous === undefined) delete process.env.TANDEM_MASTER_KEY_PREVIOUS;
  else process.env.TANDEM_MASTER_KEY_PREVIOUS = keys.previous.toString('base64');
  const api = await startFunnelApi(chdbPath, {
    eventStore: { kind: 'postgres', url: TEST_POSTGRES_URL, schema },
  });
  return { ...api, http: api.app.getHttpServer() as App };
}

const emailOf = (name: string) => `${name}@rotation-api.example`;

describeWhenPostgres(postgresUnavailableReason())(
  'rotating the master key on a running API',
  () => {
    const schema = freshSchemaName('key_rotation_api');
    let chdbPath: string;
    const open: FunnelApiFixture[] = [];

    beforeAll(async () => {
      chdbPath = await mkdtemp(join(tmpdir(), 'tandem-key-rotation-chdb-'));
    });
    afterAll(async () => {
      for (const api of open) await api.close().catch(() => undefined);
      process.env = environment;
      await rm(chdbPath, { recursive: true, force: true });
      await dropSchema(schema);
    });

    const post = (http: App, path: string, role: 'marketing' | 'ops', body: object) =>
      request(http)
        .post(path)
        .set(asRole(role, `${role}@rotation.test`))
        .send(body);
    const timeline = async (http: App, leadId: string) =>
      (
        await request(http)
          .get(`/leads/${leadId}/timeline`)
          .set(asRole('ops', 'ops@rotation.test'))
          .expect(200)
      ).text;
    const health = async (http: App) =>
      (await request(http).get('/health').set(asRole('ops', 'ops@rotation.test')).expect(200))
        .body as { masterKeyRotation?: unknown };
    async function capture(http: App, name: string): Promise<string> {
      const captured = await post(http, '/leads', 'marketing', {
        contact: { name, email: emailOf(name) },
        company: { name: `${name} Ltd`, industry: 'software', size: 50, country: 'IT' },
        source: { channel: 'web', campaign: 'rotation' },
        consent: { marketing: true },
      }).expect(201);
      return (captured.body as { leadId: string }).leadId;
    }
    async function wrappedBy(leadIds: readonly string[]) {
      const client = new Client({ connectionString: TEST_POSTGRES_URL });
      await client.connect();
      try {
        const { rows } = await client.query<{ lead_id: string; wrapped_by: string | null }>(
          `SELECT lead_id, wrapped_by FROM "${schema}".personal_data_keys WHERE lead_id = ANY($1::text[])`,
          [leadIds],
        );
        return new Map(rows.map((row) => [row.lead_id, row.wrapped_by]));
      } finally {
        await client.end();
      }
    }

    it('reads leads the previous key wrapped, rewraps them all, reports it, and never the erased one', async () => {
      const before = await apiWith(chdbPath, schema, { current: oldKey });
      open.push(before);
      const kept = [await capture(before.http, 'kira'), await capture(before.http, 'kofi')];
      const erased = await capture(before.http, 'erik');
      await post(before.http, `/leads/${erased}/erase`, 'ops', { reason: 'GDPR-rotation' }).expect(
        200,
      );
      expect((await health(before.http)).masterKeyRotation).toEqual({ state: 'none' });
      await before.close();
      open.pop();

      const rotating = await apiWith(chdbPath, schema, { current: newKey, previous: oldKey });
      open.push(rotating);
      expect(await timeline(rotating.http, kept[0] as string)).toContain(emailOf('kira'));
      await eventually(async () => {
        const rotation = (await health(rotating.http)).masterKeyRotation;
        expect(rotation).toEqual({
          state: 'done',
          keysUnderPreviousKey: 0,
          keysNotUnwrapped: 0,
          leadsWithKeysNotUnwrapped: [],
          keysUnderOtherMasterKeys: 0,
          leadsWithKeysUnderOtherMasterKeys: [],
        });
        return rotation;
      }, 'the rotation reported done in /health');
      const metrics = await request(rotating.http)
        .get('/metrics')
        .set(asRole('ops', 'ops@rotation.test'))
        .expect(200);
      expect(metrics.text).toMatch(/^tandem_lead_keys_under_previous_master_key\{[^}]*\} 0$/m);
      expect(metrics.text).toMatch(
        /^tandem_lead_keys_not_unwrapped_by_previous_master_key\{[^}]*\} 0$/m,
      );
      expect(metrics.text).toMatch(/^tandem_lead_keys_under_other_master_keys\{[^}]*\} 0$/m);
      const fresh = await capture(rotating.http, 'nina');
      const fingerprints = await wrappedBy([...kept, erased, fresh]);
      const current = new MasterKeyWrapper(newKey).keyId;
      expect(kept.map((leadId) => fingerprints.get(leadId))).toEqual([current, current]);
      expect(fingerprints.get(fresh)).toBe(current);
      expect(fingerprints.get(erased)).toBeNull(); // the tombstone stays a tombstone
      await rotating.close();
      open.pop();

      // The previous key removed (and destroyed): every kept lead opens, the erased one does not.
      const after = await apiWith(chdbPath, schema, { current: newKey });
      open.push(after);
      expect(await timeline(after.http, kept[0] as string)).toContain(emailOf('kira'));
      expect(await timeline(after.http, kept[1] as string)).toContain(emailOf('kofi'));
      expect(await timeline(after.http, fresh)).toContain(emailOf('nina'));
      expect(await timeline(after.http, erased)).not.toContain(emailOf('erik'));
      expect((await health(after.http)).masterKeyRotation).toEqual({ state: 'none' });
    });
  },
);
