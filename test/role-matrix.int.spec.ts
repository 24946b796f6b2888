/**
 * The role matrix, route by route (issue 12): every route Nest has registered — read from its
 * module container, not from a list kept here — is called by every role, by no one, with a
 * bad token, an unknown and a revoked API key, and with the old `x-tandem-role: ops` header
 * and no token. The expected matrix is
 * the table below, the same as the README's "Who may do what"; a route missing from it (a
 * new route nobody gave a rule) fails the test, and so does a route whose behaviour differs.
 * "Admitted" means neither 401 nor 403: the request may still be refused for its content.
 */
import { generateKeyPairSync, sign } from 'node:crypto';
import { type Role, roles } from '@tandem/domain';
import request from 'supertest';
import { asRole, TEST_AUDIENCE, TEST_ISSUER, testToken } from './support/auth-headers';
import { funnelApiPerFile } from './support/funnel-api.fixture';
import { type RegisteredRoute, registeredRoutes } from './support/registered-routes';

jest.setTimeout(180_000);

const ALL: readonly Role[] = roles;
const VIEWS: readonly Role[] = ['marketing', 'sales', 'ops', 'analyst', 'system'];
const MARKETING_LENS: readonly Role[] = ['marketing', 'ops', 'analyst', 'system'];
const SALES_LENS: readonly Role[] = ['sales', 'ops', 'analyst', 'system'];
const PERSONAL: readonly Role[] = ['marketing', 'sales', 'ops'];
const OPS: readonly Role[] = ['ops'];
const PUBLIC = 'public' as const;

/** Route → who is admitted. Keep in step with the README table. */
const matrix: Readonly<Record<string, readonly Role[] | typeof PUBLIC>> = {
  'GET /health/live': PUBLIC,
  'GET /health/ready': PUBLIC,
  'GET /metrics': ['ops', 'system'],
  'GET /dashboard': PUBLIC,
  'GET /dashboard/assets/:name': PUBLIC,
  'GET /health': VIEWS,
  'GET /definitions': VIEWS,
  'GET /definitions/:version': VIEWS,
  'GET /analytics/funnel': VIEWS,
  'GET /analytics/funnel/time-in-stage': VIEWS,
  'GET /analytics/funnel/cohorts': VIEWS,
  'GET /analytics/funnel/trend': VIEWS,
  'GET /analytics/funnel/leads': VIEWS,
  'GET /analytics/alignment': VIEWS,
  'GET /analytics/accounts': VIEWS,
  'GET /analytics/targets': VIEWS,
  'GET /analytics/reconciliation': VIEWS,
  'GET /analytics/rules/compare': VIEWS,
  'GET /analytics/marketing': MARKETING_LENS,
  'GET /analytics/marketing/attribution': MARKETING_LENS,
  'GET /analytics/sales': SALES_LENS,
  'GET /analytics/sales/performance': SALES_LENS,
  'GET /leads/:leadId/timeline': PERSONAL,
  'POST /leads': ['marketing', 'ops', 'system'],
  'POST /leads/:leadId/touchpoints': ['marketing', 'sales', 'ops', 'system'],
  'POST /leads/:leadId/profile': ['marketing', 'sales', 'ops', 'system'],
  'POST /leads/:leadId/mql': ['marketing', 'ops', 'system'],
  'POST /leads/:leadId/handoff': ['marketing', 'ops', 'system'],
  'POST /leads/:leadId/sales-sourced-handoff': ['sales', 'ops', 'system'],
  'POST /leads/:leadId/accept': ['sales', 'ops', 'system'],
  'POST /leads/:leadId/reject': ['sales', 'ops', 'system'],
  'POST /leads/:leadId/sql': ['sales', 'ops', 'system'],
  'POST /leads/:leadId/opportunity': ['sales', 'ops', 'system'],
  'POST /leads/:leadId/opportunity/stage': ['sales', 'ops', 'system'],
  'POST /leads/:leadId/won': ['sales', 'ops', 'system'],
  'POST /leads/:leadId/lost': ['sales', 'ops', 'system'],
  'POST /leads/:leadId/recycle': ['marketing', 'sales', 'ops', 'system'],
  'POST /leads/:leadId/merge': ['ops', 'system'],
  'POST /leads/:leadId/erase': OPS,
  'POST /definitions': OPS,
  'POST /targets': ['marketing', 'sales', 'ops'],
  'POST /campaign-spend': ['marketing', 'ops', 'system'],
  'POST /visitors/:visitorId/touchpoints': ['marketing', 'ops', 'system'],
  'POST /ops/rebuild': OPS,
  'GET /ops/rules': OPS,
  'GET /ops/rules/replays/:id': OPS,
  'POST /ops/rules/replays': OPS,
  'POST /ops/rules/activations': OPS,
  'POST /ops/rules/applies': OPS,
  'GET /ops/rules/applies/:id': OPS,
  'POST /ops/api-keys': OPS,
  'GET /ops/api-keys': OPS,
  'DELETE /ops/api-keys/:id': OPS,
};

const SAMPLE_PARAMETERS: Readonly<Record<string, string>> = {
  leadId: '0190d0b0-1111-7000-8000-00000000beef',
  version: '1',
  id: '0190d0b0-2222-7000-8000-00000000beef',
  name: 'dashboard.js',
  visitorId: 'v_matrix_visitor',
};

const concrete = (pattern: string): string =>
  pattern.replace(/:(\w+)/g, (_, name: string) => {
    const value = SAMPLE_PARAMETERS[name];
    if (value === undefined) throw new Error(`no sample value for :${name} in ${pattern}`);
    return value;
  });

/** A token with everything right except its signing key: the API must not trust it. */
function foreignToken(): string {
  const { privateKey } = generateKeyPairSync('ed25519');
  const now = Math.floor(Date.now() / 1000);
  const encode = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');
  const input = `${encode({ alg: 'EdDSA', kid: 'test' })}.${encode({
    iss: TEST_ISSUER,
    aud: TEST_AUDIENCE,
    sub: 'mallory',
    roles: ['ops'],
    exp: now + 600,
  })}`;
  return `${input}.${sign(null, Buffer.from(input), privateKey).toString('base64url')}`;
}

type Caller =
  | { readonly kind: 'role'; readonly role: Role }
  | {
      readonly kind:
        | 'none'
        | 'garbage-token'
        | 'foreign-token'
        | 'expired-token'
        | 'unknown-api-key'
        | 'revoked-api-key';
    }
  | { readonly kind: 'role-header-only' };

const callers: readonly Caller[] = [
  ...ALL.map((role) => ({ kind: 'role', role }) as const),
  { kind: 'none' },
  { kind: 'garbage-token' },
  { kind: 'foreign-token' },
  { kind: 'expired-token' },
  { kind: 'unknown-api-key' },
  { kind: 'revoked-api-key' },
  { kind: 'role-header-only' },
];

/** An API key with every role, made by ops and revoked before the matrix runs. */
let revokedApiKey: string;

function credentials(caller: Caller): Record<string, string> {
  switch (caller.kind) {
    case 'role':
      return asRole(caller.role, `matrix-${caller.role}@test.tandem`);
    case 'none':
      return {};
    case 'garbage-token':
      return { authorization: 'Bearer not-a-token' };
    case 'foreign-token':
      return { authorization: `Bearer ${foreignToken()}` };
    case 'expired-token': {
      const past = Math.floor(Date.now() / 1000) - 3_600;
      return {
        authorization: `Bearer ${testToken({ roles: ['ops'], sub: 'late', iat: past - 60, exp: past })}`,
      };
    }
    case 'unknown-api-key':
      return { authorization: `Bearer tdk_00000000000000ff_${'A'.repeat(43)}` };
    case 'revoked-api-key':
      return { authorization: `Bearer ${revokedApiKey}` };
    case 'role-header-only':
      return { 'x-tandem-role': 'ops', 'x-tandem-actor': 'ceo@victim.example' };
  }
}

const suite = funnelApiPerFile('role-matrix');
let routes: RegisteredRoute[];

beforeAll(async () => {
  const { api, http } = suite;
  routes = registeredRoutes(api.app);
  const created = await request(http)
    .post('/ops/api-keys')
    .set(asRole('ops'))
    .send({ name: 'matrix-revoked', roles: ALL })
    .expect(201);
  const { keyId, apiKey } = created.body as { keyId: string; apiKey: string };
  await request(http).delete(`/ops/api-keys/${keyId}`).set(asRole('ops')).expect(204);
  revokedApiKey = apiKey;
});

it('finds the routes through Nest, and every one of them has a row in the matrix', () => {
  const declared = routes.map((route) => `${route.method} ${route.pattern}`);
  expect(declared.length).toBeGreaterThan(30);
  expect(declared.filter((route) => !(route in matrix))).toEqual([]);
  // A row for a route that no longer exists is a stale table (and a stale README).
  expect(Object.keys(matrix).filter((route) => !declared.includes(route))).toEqual([]);
});

/**
 * What Express serves beside Nest's routes: Swagger UI and the OpenAPI document, which
 * SwaggerModule.setup registers on Express itself, so the access guard never sees them. They
 * describe the API and hold no data; public, like the dashboard's shell (README, ADR 0011).
 */
const OUTSIDE_NEST: readonly string[] = [
  'GET /docs',
  'GET /docs/',
  'GET /docs/index.html',
  'GET /docs/swagger-ui-init.js',
  'GET /docs/docs/swagger-ui-init.js',
  'GET /docs/LICENSE',
  'GET /docs-json',
  'GET /docs-yaml',
];

it('serves nothing outside Nest but the API description, to anyone', async () => {
  const express = suite.api.app.getHttpAdapter().getInstance() as {
    router: { stack: { route?: { path: unknown; methods: Record<string, boolean> } }[] };
  };
  const nest = new Set(routes.map((route) => `${route.method} ${route.pattern}`));
  const outside = express.router.stack
    .flatMap(({ route }) =>
      route === undefined
        ? []
        : Object.keys(route.methods).map(
            (method) => `${method.toUpperCase()} ${String(route.path)}`,
          ),
    )
    .filter((route) => !nest.has(route));
  expect(outside.sort()).toEqual([...OUTSIDE_NEST].sort());
  for (const path of ['/docs', '/docs-json', '/docs-yaml']) {
    await request(suite.http).get(path).expect(200);
  }
});

it('every route answers every caller as the matrix says', async () => {
  const mismatches: string[] = [];
  for (const route of routes) {
    const rule = matrix[`${route.method} ${route.pattern}`];
    if (rule === undefined) continue; // reported by the test above
    for (const caller of callers) {
      const call =
        route.method === 'GET'
          ? request(suite.http).get(concrete(route.pattern))
          : route.method === 'DELETE'
            ? request(suite.http).delete(concrete(route.pattern))
            : request(suite.http).post(concrete(route.pattern)).send({});
      const response = await call.set(credentials(caller));
      const label = `${route.method} ${route.pattern} as ${caller.kind === 'role' ? caller.role : caller.kind}`;
      const admitted = response.status !== 401 && response.status !== 403;
      const challenge = String(response.headers['www-authenticate'] ?? '');
      let expected: string;
      if (rule === PUBLIC || (caller.kind === 'role' && rule.includes(caller.role))) {
        expected = 'admitted';
        if (admitted) continue;
      } else if (caller.kind === 'role') {
        expected = '403 insufficient_scope';
        if (response.status === 403 && challenge.includes('error="insufficient_scope"')) continue;
      } else if (caller.kind === 'none' || caller.kind === 'role-header-only') {
        expected = '401 Bearer challenge';
        if (response.status === 401 && challenge === 'Bearer realm="tandem"') continue;
      } else {
        expected = '401 invalid_token';
        if (response.status === 401 && challenge.includes('error="invalid_token"')) continue;
      }
      mismatches.push(`${label}: expected ${expected}, got ${response.status} ${challenge}`);
    }
  }
  expect(mismatches).toEqual([]);
});
