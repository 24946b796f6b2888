/**
 * Authentication end to end on a real API (PGlite + chDB): the embedded default (a signing
 * key made on first start, 0600, trusted for tokens `tandem token` mints), the trusted-proxy
 * mode (headers count only with the shared secret), and expiry. The role matrix itself is
 * role-matrix.int.spec.ts.
 */
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { embeddedKeyFile, loadOrCreateEmbeddedKey, mintAccessToken } from '@tandem/auth';
import { leadStreamId } from '@tandem/domain';
import request from 'supertest';
import type { App } from 'supertest/types';
import { mintToken } from '../apps/cli/src/auth/token.command';
import { asRole, testToken } from './support/auth-headers';
import { type FunnelApiFixture, startFunnelApi } from './support/funnel-api.fixture';

jest.setTimeout(180_000);

const PROXY_SECRET = 'a-proxy-secret-of-at-least-thirty-two-characters';
const captureBody = {
  contact: { name: 'Ada Lovelace', email: 'ada@example.com' },
  company: { name: 'Acme', industry: 'software', size: 250, country: 'IT' },
  source: { channel: 'web' },
  productInterest: 'funnel_analytics',
  timeframe: '3_months',
  consent: { marketing: true },
};

let chdbPath: string;
beforeAll(async () => {
  chdbPath = await mkdtemp(join(tmpdir(), 'tandem-auth-int-chdb-'));
});
afterAll(async () => {
  await rm(chdbPath, { recursive: true, force: true });
});

describe('the embedded default', () => {
  let api: FunnelApiFixture;
  let http: App;
  beforeAll(async () => {
    api = await startFunnelApi(chdbPath, { auth: { embeddedKey: true } });
    http = api.app.getHttpServer() as App;
  });
  afterAll(async () => {
    await api?.close();
  });

  it('made a signing key under the data directory on first start, readable by its owner only', async () => {
    expect((await stat(embeddedKeyFile(api.config.dataDir))).mode & 0o777).toBe(0o600);
  });

  it('accepts what `tandem token` mints, and the event names that actor', async () => {
    const token = await mintToken(api.config, {
      roles: ['marketing'],
      actor: 'you@example.com',
      ttlSeconds: 300,
      dashboardUrl: null,
    });
    const response = await request(http)
      .post('/leads')
      .set('authorization', `Bearer ${token}`)
      .send(captureBody)
      .expect(201);
    const [captured] = await api.store.readStream(
      leadStreamId((response.body as { leadId: string }).leadId),
    );
    expect(captured?.metadata.actor).toEqual({
      kind: 'user',
      id: 'you@example.com',
      role: 'marketing',
    });
  });

  it('refuses a token from another data directory’s key, though it claims the same issuer', async () => {
    const elsewhere = await mkdtemp(join(tmpdir(), 'tandem-auth-int-other-'));
    try {
      const token = await mintAccessToken(await loadOrCreateEmbeddedKey(elsewhere), {
        roles: ['ops'],
        actor: 'mallory',
        audience: api.config.auth.audience,
      });
      const refused = await request(http)
        .get('/health')
        .set('authorization', `Bearer ${token}`)
        .expect(401);
      expect(refused.headers['www-authenticate']).toContain('error="invalid_token"');
    } finally {
      await rm(elsewhere, { recursive: true, force: true });
    }
  });

  it('prints a dashboard link with the token in the fragment', async () => {
    const link = await mintToken(api.config, {
      roles: ['analyst'],
      actor: 'dashboard',
      ttlSeconds: 60,
      dashboardUrl: 'http://127.0.0.1:3000',
    });
    const token = /^http:\/\/127\.0\.0\.1:3000\/dashboard#token=(.+)$/.exec(link)?.[1] ?? '';
    await request(http)
      .get('/analytics/funnel')
      .set('authorization', `Bearer ${token}`)
      .expect(200);
    // Analysts read views, never a timeline.
    await request(http)
      .get('/leads/0190d0b0-1111-7000-8000-00000000beef/timeline')
      .set('authorization', `Bearer ${token}`)
      .expect(403);
  });

  it('liveness needs nothing and says nothing', async () => {
    const live = await request(http).get('/health/live').expect(200);
    expect(live.body).toEqual({ status: 'live' });
    await request(http).get('/health').expect(401);
  });
});

describe('trusted-proxy mode', () => {
  let api: FunnelApiFixture;
  let http: App;
  beforeAll(async () => {
    api = await startFunnelApi(chdbPath, { auth: { trustedProxySecret: PROXY_SECRET } });
    http = api.app.getHttpServer() as App;
  });
  afterAll(async () => {
    await api?.close();
  });

  const proxied = (secret: string) => ({
    'x-tandem-proxy-secret': secret,
    'x-tandem-role': 'marketing',
    'x-tandem-actor': 'sso-user@example.com',
  });

  it('takes the identity headers from the proxy that sends the secret', async () => {
    const response = await request(http)
      .post('/leads')
      .set(proxied(PROXY_SECRET))
      .send(captureBody)
      .expect(201);
    const [captured] = await api.store.readStream(
      leadStreamId((response.body as { leadId: string }).leadId),
    );
    expect(captured?.metadata.actor).toMatchObject({
      id: 'sso-user@example.com',
      role: 'marketing',
    });
  });

  it('refuses the headers with a wrong or missing secret, and still takes bearer tokens', async () => {
    const head = await api.store.headPosition();
    for (const headers of [
      proxied(`${PROXY_SECRET.slice(0, -1)}x`),
      proxied(''),
      { 'x-tandem-role': 'ops', 'x-tandem-actor': 'ceo@victim.example' },
    ]) {
      await request(http).post('/leads').set(headers).send(captureBody).expect(401);
    }
    expect(await api.store.headPosition()).toBe(head);
    await request(http).get('/health').set(asRole('ops')).expect(200);
  });

  describe('a credential sent twice', () => {
    // Node keeps the first of two Authorization lines and joins two x-tandem-role lines with a
    // comma. A gateway that adds its own line instead of replacing the client's would then let
    // the client's line decide, or add its roles to the proxy's: which line counts must never
    // be a guess, so a request carrying an identity header twice is refused.

    /** `headers` with each array value sent as that many header lines. */
    const twice = (path: string, headers: Record<string, string | string[]>) => {
      let call = request(http).get(path);
      for (const [name, value] of Object.entries(headers)) {
        call = call.set(name, value as unknown as string);
      }
      return call;
    };
    const ops = `Bearer ${testToken({ roles: ['ops'], sub: 'ops-line' })}`;
    const analyst = `Bearer ${testToken({ roles: ['analyst'], sub: 'analyst-line' })}`;

    it.each([
      ['Authorization, ops first', { authorization: [ops, analyst] }, 'authorization'],
      ['Authorization, analyst first', { authorization: [analyst, ops] }, 'authorization'],
      [
        "x-tandem-role, the proxy's and another",
        {
          'x-tandem-proxy-secret': PROXY_SECRET,
          'x-tandem-actor': 'sso-user@example.com',
          'x-tandem-role': ['analyst', 'ops'],
        },
        'x-tandem-role',
      ],
      [
        'x-tandem-actor',
        {
          'x-tandem-proxy-secret': PROXY_SECRET,
          'x-tandem-actor': ['sso-user@example.com', 'ceo@victim.example'],
          'x-tandem-role': 'ops',
        },
        'x-tandem-actor',
      ],
    ])('refuses %s with a 401 naming the header', async (_case, headers, name) => {
      const response = await twice('/ops/rules', headers).expect(401);
      expect(response.headers['www-authenticate']).toBe(
        `Bearer realm="tandem", error="invalid_token", error_description="the ${name} header is sent more than once"`,
      );
      expect(response.body).toMatchObject({ status: 401, code: 'invalid_token' });
    });

    it('still takes each credential sent once, and headers the credential does not use', async () => {
      await twice('/ops/rules', { authorization: ops }).expect(200);
      await twice('/ops/rules', { authorization: analyst }).expect(403);
      await twice('/ops/rules', {
        'x-tandem-proxy-secret': PROXY_SECRET,
        'x-tandem-actor': 'sso-user@example.com',
        'x-tandem-role': 'ops',
      }).expect(200);
      // A bearer caller's stray identity headers count for nothing, twice or not.
      await twice('/ops/rules', { authorization: ops, 'x-tandem-role': ['a', 'b'] }).expect(200);
    });
  });
});

describe('token lifetime', () => {
  let api: FunnelApiFixture;
  let http: App;
  beforeAll(async () => {
    api = await startFunnelApi(chdbPath, { auth: { clockSkewSeconds: 30 } });
    http = api.app.getHttpServer() as App;
  });
  afterAll(async () => {
    await api?.close();
  });

  it('accepts a token expired within the clock skew, refuses one expired beyond it', async () => {
    const now = Math.floor(Date.now() / 1000);
    const within = testToken({ roles: ['ops'], sub: 'a', exp: now - 10 });
    const beyond = testToken({ roles: ['ops'], sub: 'a', exp: now - 120 });
    await request(http).get('/health').set('authorization', `Bearer ${within}`).expect(200);
    const refused = await request(http)
      .get('/health')
      .set('authorization', `Bearer ${beyond}`)
      .expect(401);
    expect(refused.headers['www-authenticate']).toMatch(
      /^Bearer realm="tandem", error="invalid_token", error_description="the token has expired"$/,
    );
  });

  // The description of an unusable sub holds an en dash ("1–200"): a header may hold no such
  // character, so setting the challenge threw, and the caller got a 500 instead of a 401.
  it.each([
    ['missing', undefined],
    ['empty', ''],
    ['a number', 12],
    ['too long', 'x'.repeat(201)],
    ['not ASCII', 'ann\u202e@example.com'],
  ])('refuses a token whose sub is %s with a 401 and a header-safe challenge', async (_, sub) => {
    const token = testToken({ roles: ['ops'], sub });
    const refused = await request(http)
      .get('/health')
      .set('authorization', `Bearer ${token}`)
      .expect(401);
    expect(refused.body).toMatchObject({ code: 'invalid_token' });
    expect(refused.body.detail).toContain("the token's sub claim must name the actor");
    const challenge = String(refused.headers['www-authenticate']);
    expect(challenge).toMatch(/^Bearer realm="tandem", error="invalid_token", error_description="/);
    // RFC 6750 §3: error_description holds %x20-21 / %x23-5B / %x5D-7E only.
    expect(challenge).toMatch(/^[\x20-\x7e]*$/);
  });
});
