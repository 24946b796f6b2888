/**
 * API keys end to end on a real API over the local PostgreSQL server (chDB for analytics):
 * ops create a key, an integration writes with it and the events name the key's actor, a
 * route its roles do not allow is 403, the listing and the table hold no secret, and a
 * revoked key is refused from the next request on. PostgreSQL rather than PGlite so the
 * spec can read the table as another client would while the API holds the store.
 */
import { createHash } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { leadStreamId } from '@tandem/domain';
import {
  TEST_POSTGRES_URL,
  describeWhenPostgres,
  dropSchema,
  eventually,
  freshSchemaName,
  postgresUnavailableReason,
} from '@tandem/testing';
import { Client } from 'pg';
import request from 'supertest';
import type { App } from 'supertest/types';
import { asRole } from './support/auth-headers';
import { type FunnelApiFixture, startFunnelApi } from './support/funnel-api.fixture';

jest.setTimeout(180_000);

const OPS = 'keymaster@example.com';
const captureBody = {
  contact: { name: 'Grace Hopper', email: 'grace@example.com' },
  company: { name: 'Navy', industry: 'software', size: 250, country: 'US' },
  source: { channel: 'web' },
  productInterest: 'funnel_analytics',
  timeframe: '3_months',
  consent: { marketing: true },
};

interface CreatedKey {
  readonly keyId: string;
  readonly apiKey: string;
  readonly name: string;
  readonly roles: string[];
  readonly actor: string;
  readonly status: string;
  readonly createdBy: string;
}

const schema = freshSchemaName('apikeys_api');

describeWhenPostgres(postgresUnavailableReason())('API keys through the API', () => {
  let chdbPath: string;
  let api: FunnelApiFixture;
  let http: App;
  let db: Client;

  beforeAll(async () => {
    chdbPath = await mkdtemp(join(tmpdir(), 'tandem-api-keys-chdb-'));
    api = await startFunnelApi(chdbPath, {
      eventStore: { kind: 'postgres', url: TEST_POSTGRES_URL, schema },
    });
    http = api.app.getHttpServer() as App;
    db = new Client({ connectionString: TEST_POSTGRES_URL });
    await db.connect();
  });

  afterAll(async () => {
    await db?.end();
    await api?.close();
    await dropSchema(schema);
    await rm(chdbPath, { recursive: true, force: true });
  });

  const createKey = async (body: object): Promise<CreatedKey> => {
    const response = await request(http)
      .post('/ops/api-keys')
      .set(asRole('ops', OPS))
      .send(body)
      .expect(201);
    expect(response.headers['cache-control']).toBe('no-store');
    return response.body as CreatedKey;
  };
  const bearer = (key: string) => ({ authorization: `Bearer ${key}` });
  const secretOf = (apiKey: string) => apiKey.slice(`tdk_0123456789abcdef_`.length);

  it('writes as the key’s actor, only under its roles, and is refused once revoked', async () => {
    const key = await createKey({ name: 'hubspot-sync', roles: ['marketing'] });
    expect(key).toMatchObject({
      name: 'hubspot-sync',
      roles: ['marketing'],
      actor: 'apikey:hubspot-sync',
      status: 'active',
      createdBy: OPS,
    });
    expect(key.apiKey).toMatch(new RegExp(`^tdk_${key.keyId}_[A-Za-z0-9_-]{43}$`));

    // Capture and a touchpoint as marketing, with the key.
    const captured = await request(http)
      .post('/leads')
      .set(bearer(key.apiKey))
      .send(captureBody)
      .expect(201);
    const leadId = (captured.body as { leadId: string }).leadId;
    await request(http)
      .post(`/leads/${leadId}/touchpoints`)
      .set(bearer(key.apiKey))
      .send({ kind: 'demo_request', channel: 'web' })
      .expect(200);
    const events = await api.store.readStream(leadStreamId(leadId));
    expect(events.map((event) => event.type)).toEqual(['LeadCaptured', 'TouchpointRecorded']);
    for (const event of events) {
      expect(event.metadata.actor).toEqual({
        kind: 'service',
        id: 'apikey:hubspot-sync',
        role: 'marketing',
      });
    }

    // Roles it lacks: sales' command, and key management itself.
    const refused = await request(http)
      .post(`/leads/${leadId}/accept`)
      .set(bearer(key.apiKey))
      .send({})
      .expect(403);
    expect(refused.headers['www-authenticate']).toContain('error="insufficient_scope"');
    await request(http).get('/ops/api-keys').set(bearer(key.apiKey)).expect(403);

    // Revoked: refused from the next request on, with a challenge.
    await request(http).delete(`/ops/api-keys/${key.keyId}`).set(asRole('ops', OPS)).expect(204);
    const after = await request(http)
      .post(`/leads/${leadId}/touchpoints`)
      .set(bearer(key.apiKey))
      .send({ kind: 'page_view', channel: 'web' })
      .expect(401);
    expect(after.headers['www-authenticate']).toContain('error="invalid_token"');
    expect(after.headers['www-authenticate']).toContain('revoked');
    expect(await api.store.readStream(leadStreamId(leadId))).toHaveLength(2);

    // Revoking again changes nothing; an unknown id is 404.
    await request(http).delete(`/ops/api-keys/${key.keyId}`).set(asRole('ops', OPS)).expect(204);
    await request(http)
      .delete('/ops/api-keys/00000000000000ff')
      .set(asRole('ops', OPS))
      .expect(404);
  });

  it('lists keys with no secret or hash; the table holds the hash and never the secret', async () => {
    const key = await createKey({
      name: 'warehouse-export',
      roles: ['analyst'],
      actor: 'exports@example.com',
    });
    await request(http).get('/analytics/funnel').set(bearer(key.apiKey)).expect(200);

    const listed = await eventually(async () => {
      const response = await request(http).get('/ops/api-keys').set(asRole('ops', OPS)).expect(200);
      const keys = (response.body as { keys: Array<Record<string, unknown>> }).keys;
      const entry = keys.find((each) => each.keyId === key.keyId);
      // last_used_at is written in the background after the request was let in.
      return entry !== undefined && entry.lastUsedAt !== null
        ? { text: response.text, entry }
        : undefined;
    }, 'the listing shows the key as used');
    expect(listed.entry).toMatchObject({
      name: 'warehouse-export',
      roles: ['analyst'],
      actor: 'exports@example.com',
      status: 'active',
      revokedAt: null,
    });
    expect(Object.keys(listed.entry)).not.toEqual(
      expect.arrayContaining([expect.stringMatching(/secret|hash|apiKey/i)]),
    );
    const secret = secretOf(key.apiKey);
    const hash = createHash('sha256').update(secret).digest('hex');
    expect(listed.text).not.toContain(secret);
    expect(listed.text).not.toContain(hash);

    const rows = await db.query<{ secret_hash: string; whole: string }>(
      `SELECT k.secret_hash, k::text AS whole FROM "${schema}".api_keys k WHERE k.key_id = $1`,
      [key.keyId],
    );
    expect(rows.rows).toHaveLength(1);
    expect(rows.rows[0]?.secret_hash).toBe(hash);
    expect(rows.rows[0]?.whole).not.toContain(secret);
  });

  it('refuses a known key id with a wrong secret, as if unknown', async () => {
    const key = await createKey({ name: 'wrong-secret', roles: ['marketing'] });
    const forged = `tdk_${key.keyId}_${'A'.repeat(43)}`;
    const response = await request(http).get('/analytics/funnel').set(bearer(forged)).expect(401);
    expect(response.headers['www-authenticate']).toContain('the API key is not valid');
  });

  it('never stores the create answer for an Idempotency-Key replay', async () => {
    const send = () =>
      request(http)
        .post('/ops/api-keys')
        .set(asRole('ops', OPS))
        .set('idempotency-key', 'create-once')
        .send({ name: 'replayed', roles: ['system'] })
        .expect(201);
    const first = (await send()).body as CreatedKey;
    const stored = await db.query(
      `SELECT 1 FROM "${schema}".idempotency_keys k WHERE k.response_body::text LIKE $1`,
      [`%${secretOf(first.apiKey)}%`],
    );
    expect(stored.rowCount).toBe(0);
  });

  it('a retried create makes no second key: 409 api_key_exists names the key, never a secret', async () => {
    const body = { name: 'retried-create', roles: ['marketing'] };
    const send = () => request(http).post('/ops/api-keys').set(asRole('ops', OPS)).send(body);
    const first = (await send().expect(201)).body as CreatedKey;
    const retried = await send().expect(409);
    expect(retried.body).toMatchObject({ code: 'api_key_exists', keyId: first.keyId });
    expect(retried.text).not.toContain(secretOf(first.apiKey));
    expect(retried.body).not.toHaveProperty('apiKey');
    // Many at once under another name: one key.
    const burst = { name: 'burst-create', roles: ['system'] };
    const answers = await Promise.all(
      Array.from({ length: 5 }, () =>
        request(http).post('/ops/api-keys').set(asRole('ops', OPS)).send(burst),
      ),
    );
    expect(answers.map((answer) => answer.status).sort()).toEqual([201, 409, 409, 409, 409]);
    const active = async (name: string) =>
      (
        (await request(http).get('/ops/api-keys').set(asRole('ops', OPS)).expect(200)).body as {
          keys: { keyId: string; name: string; status: string }[];
        }
      ).keys.filter((key) => key.name === name && key.status === 'active');
    expect(await active('retried-create')).toEqual([
      expect.objectContaining({ keyId: first.keyId }),
    ]);
    expect(await active('burst-create')).toHaveLength(1);
    // Revoked (its secret lost), the name is free again.
    await request(http).delete(`/ops/api-keys/${first.keyId}`).set(asRole('ops', OPS)).expect(204);
    const again = (await send().expect(201)).body as CreatedKey;
    expect(await active('retried-create')).toEqual([
      expect.objectContaining({ keyId: again.keyId }),
    ]);
  });

  it('never keeps a refused create for an Idempotency-Key replay either', async () => {
    const send = () =>
      request(http)
        .post('/ops/api-keys')
        .set(asRole('ops', OPS))
        .set('idempotency-key', 'create-once-more')
        .send({ name: 'replayed-again', roles: ['system'] });
    const first = (await send().expect(201)).body as CreatedKey;
    const second = await send().expect(409);
    expect(second.headers['idempotent-replayed']).toBeUndefined();
    expect(second.body).toMatchObject({ keyId: first.keyId });
    const stored = await db.query(
      `SELECT 1 FROM "${schema}".idempotency_keys k WHERE k.response_body::text LIKE $1`,
      [`%${secretOf(first.apiKey)}%`],
    );
    expect(stored.rowCount).toBe(0);
  });

  it('refuses a bad request to create a key, naming the field', async () => {
    const bad = await request(http)
      .post('/ops/api-keys')
      .set(asRole('ops', OPS))
      .send({ name: 'ok-name', roles: [] })
      .expect(400);
    expect(bad.text).toContain('roles');
    // PostgreSQL's UTF-8 holds no lone surrogate: the key was created, its actor silently
    // became "ann\uFFFD" (U+FFFD), and every event it wrote named an actor nobody had given.
    const unpaired = await request(http)
      .post('/ops/api-keys')
      .set(asRole('ops', OPS))
      .send({ name: 'unpaired', roles: ['system'], actor: 'ann\uD800' })
      .expect(400);
    expect(unpaired.body).toMatchObject({ errors: [{ in: 'body', field: 'actor' }] });
    // A bidi control or an invisible character in the actor: every event the key wrote named
    // an actor that shows other than it is stored (`ann\u202Eeve`, Trojan Source), or like
    // another one (`ops\u200B`). Refused as in a label, naming the code point.
    for (const [actor, codePoint] of [
      ['ann\u202Eeve', 'U+202E'],
      ['ops\u200B', 'U+200B'],
      ['\u2066ops\u2069', 'U+2066'],
    ] as const) {
      const hidden = await request(http)
        .post('/ops/api-keys')
        .set(asRole('ops', OPS))
        .send({ name: 'hidden', roles: ['system'], actor })
        .expect(400);
      expect(hidden.body).toMatchObject({
        errors: [
          {
            in: 'body',
            field: 'actor',
            message: `must not contain ${codePoint}, an invisible or bidirectional control character`,
          },
        ],
      });
    }
    const keys = (await request(http).get('/ops/api-keys').set(asRole('ops', OPS)).expect(200))
      .body as { keys: { name: string }[] };
    expect(keys.keys.map((key) => key.name)).not.toContain('unpaired');
    expect(keys.keys.map((key) => key.name)).not.toContain('hidden');
    await request(http)
      .post('/ops/api-keys')
      .set(asRole('marketing'))
      .send({ name: 'sneaky', roles: ['ops'] })
      .expect(403);
  });
});
