/**
 * The API's HTTP conventions on real engines (PGlite + chDB), through HTTP (issue 13 item 4):
 * every refusal is an RFC 9457 `application/problem+json` with one `errors[]` shape; 201 and
 * 202 answers carry `Location`; paginated views carry RFC 8288 `Link` headers that lead
 * through every page; and the served OpenAPI document validates as 3.1 with a real validator,
 * every operation with its answers and, unless public, a security requirement.
 */
import { validate, compileErrors } from '@readme/openapi-parser';
import type { Role } from '@tandem/domain';
import request from 'supertest';
import type { z } from 'zod';
import { reconciliationSchema } from '../apps/funnel-api/src/analytics/reconciliation.responses';
import { healthSchema, liveSchema } from '../apps/funnel-api/src/health/health.responses';
import { leadTimelineSchema } from '../apps/funnel-api/src/leads/lead-timeline.responses';
import {
  expositionSchema,
  readinessSchema,
} from '../apps/funnel-api/src/observability/observability.responses';
import {
  createdKeySchema,
  keyListSchema,
  rebuildingSchema,
} from '../apps/funnel-api/src/ops/ops.responses';
import {
  activationSchema,
  applySchema,
  replaySchema,
  ruleSetListSchema,
  whatIfSchema,
} from '../apps/funnel-api/src/rules/rules-ops.responses';
import { asRole } from './support/auth-headers';
import { eventually } from './support/eventually';
import { waitForProjection, funnelApiPerFile } from './support/funnel-api.fixture';
import { registeredRoutes } from './support/registered-routes';

jest.setTimeout(180_000);

const captureBody = (campaign: string, overrides: Record<string, unknown> = {}) => ({
  contact: { name: 'Giulia Rossi', email: 'giulia@example.com' },
  company: { name: 'Acme', industry: 'software', size: 250, country: 'IT' },
  source: { channel: 'web', campaign },
  productInterest: 'funnel_analytics',
  timeframe: '3_months',
  consent: { marketing: true },
  ...overrides,
});

interface ProblemBody {
  type: string;
  title: string;
  status: number;
  detail: string;
  instance: string;
  code: string;
  errors?: { in: string; field: string; message: string }[];
}

/** The problem-details members every refusal has, whatever refused it. */
function expectProblem(
  response: request.Response,
  status: number,
  code: string,
  instance: string,
): ProblemBody {
  expect(response.status).toBe(status);
  expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
  const body = response.body as ProblemBody;
  expect(body).toMatchObject({
    type: `tag:tandem,2026:problem:${code}`,
    status,
    code,
    instance,
  });
  expect(body.title.length).toBeGreaterThan(0);
  expect(body.detail.length).toBeGreaterThan(0);
  return body;
}

// A small body limit so the 413 needs no megabyte of test data.
const suite = funnelApiPerFile('http-conventions', { http: { bodyLimitBytes: 4096 } });

const as = (role: Role) => asRole(role, `${role}-conventions@test.tandem`);
/** POSTs JSON text as the spec spells it (supertest would serialize an object itself). */
const postJsonText = (path: string, body: string) =>
  request(suite.http).post(path).set(as('ops')).set('content-type', 'application/json').send(body);
const capture = async (campaign: string): Promise<request.Response> =>
  request(suite.http).post('/leads').set(as('marketing')).send(captureBody(campaign)).expect(201);

describe('errors are RFC 9457 problem details', () => {
  it('400 for a body: errors[] names each field in the body', async () => {
    const response = await request(suite.http)
      .post('/leads')
      .set(as('marketing'))
      .send(
        captureBody('c', {
          contact: { name: 'X', email: 'not-an-email' },
          company: { name: 'Acme', size: -3 },
        }),
      );
    const body = expectProblem(response, 400, 'invalid_request', '/leads');
    expect(body.errors).toEqual(
      expect.arrayContaining([
        { in: 'body', field: 'contact.email', message: expect.any(String) as unknown },
        { in: 'body', field: 'company.size', message: expect.any(String) as unknown },
      ]),
    );
  });

  it('400 for a replay body that is neither a draft nor a version says what it takes', async () => {
    for (const sent of [{ draft: {}, version: 1 }, {}, { version: 'one' }]) {
      const response = await request(suite.http)
        .post('/ops/rules/replays')
        .set(as('ops'))
        .send(sent);
      const body = expectProblem(response, 400, 'invalid_request', '/ops/rules/replays');
      expect(body.errors).toEqual([
        {
          in: 'body',
          field: '(body)',
          message: expect.stringMatching(/either draft .* or version/) as unknown,
        },
      ]);
    }
  });

  it('400 for a query: the same errors[] shape, in the query', async () => {
    const response = await request(suite.http)
      .get('/analytics/marketing?chanel=web&limit=0')
      .set(as('marketing'));
    const body = expectProblem(response, 400, 'invalid_request', '/analytics/marketing');
    expect(body.errors).toEqual(
      expect.arrayContaining([
        { in: 'query', field: 'chanel', message: 'not a parameter of this endpoint' },
        { in: 'query', field: 'limit', message: expect.any(String) as unknown },
      ]),
    );
    expect(body.errors).toHaveLength(2);
  });

  it('400 for a path parameter and for malformed JSON', async () => {
    const path = await request(suite.http)
      .post('/leads/hubspot:12ab/touchpoints')
      .set(as('marketing'))
      .send({ kind: 'page_view', channel: 'web' });
    expect(
      expectProblem(path, 400, 'invalid_request', '/leads/hubspot:12ab/touchpoints').errors,
    ).toEqual([{ in: 'path', field: 'leadId', message: expect.any(String) as unknown }]);
    const json = await request(suite.http)
      .post('/leads')
      .set(as('marketing'))
      .set('content-type', 'application/json')
      .send('{"contact":');
    expect(expectProblem(json, 400, 'invalid_request', '/leads').errors).toEqual([
      { in: 'body', field: '(body)', message: 'not valid JSON' },
    ]);
  });

  it('400 for a label or id hiding a character or reordering its text, naming the code point only', async () => {
    // A channel `w\u200Beb` was a row of its own beside `web` in the marketing lens.
    const lead = '/leads/hubspot:404405';
    const hidden = (codePoint: string) =>
      `must not contain ${codePoint}, an invisible or bidirectional control character`;
    const sent: [string, Record<string, unknown>, string, string][] = [
      [
        '/leads',
        captureBody('q1', { source: { channel: 'w\u200Beb' } }),
        'source.channel',
        'U+200B',
      ],
      ['/leads', captureBody('spring \u202Egnirps'), 'source.campaign', 'U+202E'],
      [
        `${lead}/touchpoints`,
        { kind: 'page_view', channel: 'web', touchpointId: 't\u2066-1' },
        'touchpointId',
        'U+2066',
      ],
      [`${lead}/handoff`, { owner: 'Ada\u00ADLovelace' }, 'owner', 'U+00AD'],
      [
        '/campaign-spend',
        { campaign: 'q1', channel: 'web\u2060', amount: 1, currency: 'EUR', spentOn: '2026-01-15' },
        'channel',
        'U+2060',
      ],
    ];
    for (const [path, body, field, codePoint] of sent) {
      const response = await request(suite.http).post(path).set(as('ops')).send(body);
      const problem = expectProblem(response, 400, 'invalid_request', path);
      expect({ path, errors: problem.errors }).toEqual({
        path,
        errors: [{ in: 'body', field, message: hidden(codePoint) }],
      });
      // The text itself is never echoed: it may be a person's name.
      expect(JSON.stringify(problem)).not.toMatch(/gnirps|Lovelace/);
    }
  });

  it('400 for a name of invisible characters or a currency that is no money, on every route taking one', async () => {
    const lead = '/leads/hubspot:404404';
    const visible = /must contain at least one visible character/;
    const money = /must be a currency money is paid in/;
    const sent: [string, Record<string, unknown>, string, RegExp][] = [
      ['/leads', captureBody('q1', { source: { channel: '\u200B' } }), 'source.channel', visible],
      ['/leads', captureBody('\u2060\uFEFF'), 'source.campaign', visible],
      ['/leads', captureBody('q1', { accountId: '\u00AD' }), 'accountId', visible],
      [`${lead}/touchpoints`, { kind: 'page_view', channel: '\u0301' }, 'channel', visible],
      [`${lead}/handoff`, { owner: '\u200C\u200D' }, 'owner', visible],
      [
        `${lead}/opportunity`,
        { stage: 'discovery', amount: 1, currency: 'XXX' },
        'currency',
        money,
      ],
      [`${lead}/profile`, { budget: { amount: 1, currency: 'XAU' } }, 'budget.currency', money],
      [
        '/visitors/visitor-0001/touchpoints',
        { kind: 'ad_click', channel: '\u3164' },
        'channel',
        visible,
      ],
      [
        '/campaign-spend',
        { campaign: 'q1', channel: '\u200B', amount: 1, currency: 'XTS', spentOn: '2026-01-15' },
        'channel',
        visible,
      ],
      [
        '/campaign-spend',
        { campaign: 'q1', channel: 'web', amount: 1, currency: 'XDR', spentOn: '2026-01-15' },
        'currency',
        money,
      ],
      [
        '/targets',
        { team: 'sales', metric: 'won_deals', period: '2026-Q1', value: 1, owner: '\u200B' },
        'owner',
        visible,
      ],
    ];
    for (const [path, body, field, message] of sent) {
      const response = await request(suite.http).post(path).set(as('ops')).send(body);
      const problem = expectProblem(response, 400, 'invalid_request', path);
      expect({ path, field, errors: problem.errors }).toEqual({
        path,
        field,
        errors: expect.arrayContaining([
          { in: 'body', field, message: expect.stringMatching(message) as unknown },
        ]) as unknown,
      });
    }
  });

  it('400 for a body that is JSON but not an object names what it got, on every kind of route', async () => {
    // body-parser's strict mode called these "not valid JSON": they are JSON, just not objects.
    const sent = [
      ['null', 'null'],
      ['true', 'a boolean'],
      ['3', 'a number'],
      ['"x"', 'a string'],
      ['[]', 'an array'],
      [' [{"kind":"page_view"}] ', 'an array'],
    ] as const;
    for (const path of ['/leads', '/definitions', '/targets']) {
      for (const [body, kind] of sent) {
        const response = await postJsonText(path, body);
        const problem = expectProblem(response, 400, 'invalid_request', path);
        expect({ body, detail: problem.detail, errors: problem.errors }).toEqual({
          body,
          detail: `invalid request: the body must be a JSON object, got ${kind}`,
          errors: [{ in: 'body', field: '(body)', message: `must be a JSON object, got ${kind}` }],
        });
      }
    }
  });

  it('400 for a number JSON.parse would round, naming its field and the text sent', async () => {
    // Each was read as the nearest double, passed its schema and was stored rounded: 1 (no
    // decimals), 0.1234 (four), a revision of 2^53.
    const lead = '/leads/01890a5d-ac96-774b-bcce-b302099a8057/mql';
    const spend = (amount: string, campaign = 'q1') =>
      `{"campaign":"${campaign}","channel":"web","amount":${amount},"currency":"EUR","spentOn":"2026-01-15"}`;
    const sent = [
      ['/campaign-spend', spend('1.00000000000000001'), 'amount', '1.00000000000000001', '1'],
      [
        '/targets',
        '{"team":"sales","metric":"won_deals","period":"2026-Q1","value":0.123400000000000001}',
        'value',
        '0.123400000000000001',
        '0.1234',
      ],
      [
        lead,
        '{"expectedRevision":9007199254740993}',
        'expectedRevision',
        '9007199254740993',
        '9007199254740992',
      ],
      ['/campaign-spend', spend('1e400'), 'amount', '1e400', 'Infinity'],
    ] as const;
    for (const [path, body, field, text, read] of sent) {
      const response = await postJsonText(path, body);
      const problem = expectProblem(response, 400, 'invalid_request', path);
      const message = `must be a number read exactly as sent: ${text} would be read as ${read}`;
      expect({ path, detail: problem.detail, errors: problem.errors }).toEqual({
        path,
        detail: `invalid request: ${field}: ${message}`,
        errors: [{ in: 'body', field, message }],
      });
    }
    // Numbers read as written are taken whichever way they are spelled; a long run of digits in
    // a text is no number.
    for (const [amount, campaign] of [
      ['1e3', 'exact-exponent'],
      ['100.50', 'exact-trailing-zero'],
      ['999999999999.9999', 'exact-long'],
      ['-0', 'exact-negative-zero'],
      ['12', 'order-12345678901234567890'],
    ]) {
      await postJsonText('/campaign-spend', spend(amount ?? '', campaign)).expect(201);
    }
  });

  it('400 for a key named twice in one object, naming its path', async () => {
    // JSON.parse kept the last one without a word ("last one wins"): the spend was stored at
    // 1000 where a gateway or log reading the first saw 1.
    const lead = '/leads/01890a5d-ac96-774b-bcce-b302099a8057/mql';
    const message = 'is named more than once in its object (JSON names must be unique, RFC 7493)';
    const sent = [
      [
        '/campaign-spend',
        '{"campaign":"dup","channel":"web","amount":1,"currency":"EUR","spentOn":"2026-01-15","amount":1000}',
        'amount',
      ],
      [
        '/definitions',
        '{"definition":{"stages":[{"code":"a","code":"b"}]}}',
        'definition.stages.0.code',
      ],
      [lead, '{"expectedRevision":1,"\\u0065xpectedRevision":2}', 'expectedRevision'],
    ] as const;
    for (const [path, body, field] of sent) {
      const response = await postJsonText(path, body);
      const problem = expectProblem(response, 400, 'invalid_request', path);
      expect({ path, detail: problem.detail, errors: problem.errors }).toEqual({
        path,
        detail: `invalid request: ${field}: ${message}`,
        errors: [{ in: 'body', field, message }],
      });
    }
    // The same key in two objects is no repeat.
    await postJsonText(
      '/campaign-spend',
      '{"campaign":"dup-apart","channel":"web","amount":1,"currency":"EUR","spentOn":"2026-01-15"}',
    ).expect(201);
  });

  it('406 for an Accept the route cannot answer; wildcards, q-values and problem+json still work', async () => {
    // Accept: application/xml got a JSON 200: the client said it cannot read that.
    for (const [path, produces] of [
      ['/analytics/marketing', 'application/json, text/csv, application/problem+json'],
      ['/health', 'application/json, application/problem+json'],
    ] as const) {
      const refused = await request(suite.http)
        .get(path)
        .set(as('marketing'))
        .set('accept', 'application/xml, text/html;q=0.9');
      const body = expectProblem(refused, 406, 'not_acceptable', path);
      expect(body.errors).toEqual([
        { in: 'header', field: 'accept', message: `must accept one of ${produces}` },
      ]);
      for (const accept of [
        '*/*',
        'application/*',
        'application/json;q=0.5, application/xml',
        'application/problem+json',
        'text/html, */*;q=0.1',
      ]) {
        const answered = await request(suite.http)
          .get(path)
          .set(as('marketing'))
          .set('accept', accept);
        expect({ accept, status: answered.status }).toEqual({ accept, status: 200 });
      }
      const none = await request(suite.http).get(path).set(as('marketing'));
      expect(none.status).toBe(200);
    }
    const csv = await request(suite.http)
      .get('/analytics/marketing')
      .set(as('marketing'))
      .set('accept', 'text/csv');
    expect(csv.headers['content-type']).toMatch(/^text\/csv/);
  });

  it('404 for a lead that does not exist', async () => {
    const leadId = '0190d0b0-2222-7000-8000-00000000abcd';
    const response = await request(suite.http)
      .post(`/leads/${leadId}/touchpoints`)
      .set(as('marketing'))
      .send({ kind: 'page_view', channel: 'web' });
    const body = expectProblem(response, 404, 'lead_not_found', `/leads/${leadId}/touchpoints`);
    expect(body.title).toBe('Not Found');
    expect(body.detail).toContain(leadId);
  });

  it('409 for a stale expected revision', async () => {
    const { leadId } = (await capture('stale')).body as { leadId: string };
    const response = await request(suite.http)
      .post(`/leads/${leadId}/touchpoints`)
      .set(as('marketing'))
      .send({ kind: 'page_view', channel: 'web', expectedRevision: 7 });
    const body = expectProblem(response, 409, 'conflict', `/leads/${leadId}/touchpoints`);
    expect(body.detail).toContain('expected revision 7');
  });

  it('401 without a token keeps WWW-Authenticate; 403 for a role the route does not allow', async () => {
    const anonymous = await request(suite.http).get('/analytics/marketing');
    expectProblem(anonymous, 401, 'unauthenticated', '/analytics/marketing');
    expect(anonymous.headers['www-authenticate']).toMatch(/^Bearer realm="tandem"/);

    const analyst = await request(suite.http)
      .post('/leads')
      .set(as('analyst'))
      .send(captureBody('forbidden'));
    expectProblem(analyst, 403, 'forbidden', '/leads');
    expect(analyst.headers['www-authenticate']).toMatch(/error="insufficient_scope"/);
  });

  it('413 for a body over the limit', async () => {
    const response = await request(suite.http)
      .post('/leads')
      .set(as('marketing'))
      .send(captureBody('large', { notes: 'x'.repeat(5000) }));
    expectProblem(response, 413, 'body_too_large', '/leads');
  });

  it('422 for a command the lifecycle does not allow', async () => {
    const { leadId } = (await capture('too-early')).body as { leadId: string };
    const response = await request(suite.http)
      .post(`/leads/${leadId}/won`)
      .set(as('sales'))
      .send({});
    const body = expectProblem(response, 422, 'lifecycle_violation', `/leads/${leadId}/won`);
    expect(body.title).toBe('Unprocessable Entity');
  });
});

describe('Location on 201 and 202', () => {
  it("a captured lead's Location is its timeline, which answers", async () => {
    const created = await capture('located');
    const { leadId } = created.body as { leadId: string };
    expect(created.headers.location).toBe(`/leads/${leadId}/timeline`);
    const timeline = await request(suite.http).get(created.headers.location!).set(as('marketing'));
    expect(timeline.status).toBe(200);
  });

  it("a rebuild's and a replay's Location is where to follow them, and answers", async () => {
    const rebuild = await request(suite.http).post('/ops/rebuild').set(as('ops')).expect(202);
    expect(rebuild.headers.location).toBe('/health');
    await request(suite.http).get(rebuild.headers.location!).set(as('ops')).expect(200);
    await waitForProjection(suite.http);

    const replay = await request(suite.http)
      .post('/ops/rules/replays')
      .set(as('ops'))
      .send({ version: 1 })
      .expect(202);
    const { id } = replay.body as { id: string };
    expect(replay.headers.location).toBe(`/ops/rules/replays/${id}`);
    const status = await request(suite.http)
      .get(replay.headers.location!)
      .set(as('ops'))
      .expect(200);
    expect((status.body as { id: string }).id).toBe(id);
    await eventually(async () => {
      const now = await request(suite.http).get(replay.headers.location!).set(as('ops'));
      return (now.body as { status: string }).status === 'running' ? undefined : true;
    }, 'the replay finishes');
  });
});

describe('2xx answers parse with the schemas their documentation is generated from', () => {
  /** The body, parsed (strictly: no undocumented field) with the schema of its 2xx. */
  const parsed = <S extends z.ZodType>(response: request.Response, schema: S): z.infer<S> =>
    schema.parse(response.body);
  const get = (path: string) => request(suite.http).get(path).set(as('ops')).expect(200);
  const post = (path: string, body: object, status: number) =>
    request(suite.http).post(path).set(as('ops')).send(body).expect(status);

  it('health, readiness, metrics, a timeline, API keys, a rebuild and the reconciliation', async () => {
    const { leadId } = (await capture('documented')).body as { leadId: string };
    expect(parsed(await get(`/leads/${leadId}/timeline`), leadTimelineSchema).events).toHaveLength(
      1,
    );
    parsed(await get('/health/live'), liveSchema);
    expect(parsed(await get('/health'), healthSchema).projector.mode).toBe('embedded');
    // 503 (not ready) answers the same shape: only the shape is this test's business.
    const ready = await request(suite.http).get('/health/ready');
    expect([200, 503]).toContain(ready.status);
    parsed(ready, readinessSchema);
    const metrics = await get('/metrics');
    expect(metrics.headers['content-type']).toMatch(/^text\/plain/);
    expect(expositionSchema.parse(metrics.text)).toContain('# TYPE');

    const created = parsed(
      await post('/ops/api-keys', { name: 'documented', roles: ['analyst'] }, 201),
      createdKeySchema,
    );
    const { keys } = parsed(await get('/ops/api-keys'), keyListSchema);
    expect(keys.map((key) => key.keyId)).toContain(created.keyId);
    const revoked = await request(suite.http)
      .delete(`/ops/api-keys/${created.keyId}`)
      .set(as('ops'))
      .expect(204);
    expect(revoked.text).toBe('');

    parsed(await post('/ops/rebuild', {}, 202), rebuildingSchema);
    await waitForProjection(suite.http);
    parsed(await get('/analytics/reconciliation'), reconciliationSchema);
  });

  it('the rule-set routes: list, replay, activation, apply, compare', async () => {
    const listed = parsed(await get('/ops/rules'), ruleSetListSchema);
    expect(listed.active).not.toBeNull();
    const replay = parsed(await post('/ops/rules/replays', { version: 1 }, 202), replaySchema);
    parsed(await get(`/ops/rules/replays/${replay.id}`), replaySchema);
    await eventually(async () => {
      const now = parsed(await get(`/ops/rules/replays/${replay.id}`), replaySchema);
      return now.status === 'running' ? undefined : true;
    }, 'the replay finishes');

    const activation = await request(suite.http)
      .post('/ops/rules/activations')
      .set(as('ops'))
      .send({ version: 1 });
    expect([200, 202]).toContain(activation.status);
    parsed(activation, activationSchema);
    const apply = await request(suite.http)
      .post('/ops/rules/applies')
      .set(as('ops'))
      .send({ version: 1 });
    expect([200, 202]).toContain(apply.status);
    const { id } = parsed(apply, applySchema);
    parsed(await get(`/ops/rules/applies/${id}`), applySchema);
    const report = parsed(await get('/analytics/rules/compare?candidateVersion=1'), whatIfSchema);
    expect(report.candidate.rulesVersion).toBe(1);
  });
});

describe('Link headers on paginated views', () => {
  it('following rel="next" from the first page visits every row once, then stops', async () => {
    for (const campaign of ['link-a', 'link-b', 'link-c', 'link-d', 'link-e']) {
      await capture(campaign);
    }
    await waitForProjection(suite.http);
    const all = (
      await request(suite.http).get('/analytics/marketing').set(as('marketing')).expect(200)
    ).body as { campaign: string }[];
    expect(all.length).toBeGreaterThanOrEqual(5);

    const seen: { campaign: string }[] = [];
    let next: string | undefined = '/analytics/marketing?channel=web&limit=2';
    let pages = 0;
    while (next !== undefined) {
      const page = await request(suite.http).get(next).set(as('marketing')).expect(200);
      const links = parseLinks(page.headers.link);
      expect(links.first).toBe('/analytics/marketing?channel=web&limit=2&offset=0');
      if (pages > 0) expect(links.prev).toBeDefined();
      else expect(links.prev).toBeUndefined();
      seen.push(...(page.body as { items: { campaign: string }[] }).items);
      next = links.next;
      pages += 1;
      expect(pages).toBeLessThanOrEqual(all.length); // never a loop
    }
    const web = all.filter((row) => (row as { channel?: string }).channel === 'web');
    expect(seen).toEqual(web);
    expect(pages).toBe(Math.ceil(web.length / 2));
  });

  it('a CSV page carries the same links', async () => {
    const page = await request(suite.http)
      .get('/analytics/marketing?format=csv&limit=1&offset=1')
      .set(as('marketing'))
      .expect(200);
    const links = parseLinks(page.headers.link);
    expect(links.prev).toBe('/analytics/marketing?format=csv&limit=1&offset=0');
    expect(links.next).toBe('/analytics/marketing?format=csv&limit=1&offset=2');
  });
});

describe('the OpenAPI document', () => {
  it('validates as OpenAPI 3.1, with answers on every operation and security unless public', async () => {
    const served = await request(suite.http).get('/docs-json').expect(200);
    const document = served.body as {
      openapi: string;
      paths: Record<string, Record<string, OperationLike>>;
      components: { securitySchemes: Record<string, { type: string; scheme?: string }> };
    };
    expect(document.openapi).toMatch(/^3\.1\.\d+$/);
    // The validator dereferences in place: give it a copy.
    const result = await validate(structuredClone(document) as never);
    if (!result.valid) throw new Error(compileErrors(result));

    expect(Object.keys(document.components.securitySchemes).sort()).toEqual(['apiKey', 'bearer']);
    const publicRoutes: string[] = [];
    let operations = 0;
    for (const [path, item] of Object.entries(document.paths)) {
      for (const [method, operation] of Object.entries(item)) {
        operations += 1;
        const route = `${method.toUpperCase()} ${path}`;
        const statuses = Object.keys(operation.responses ?? {});
        expect({ route, success: statuses.some((s) => /^2\d\d$/.test(s)) }).toEqual({
          route,
          success: true,
        });
        expect({ route, errors: statuses.includes('500') }).toEqual({ route, errors: true });
        expect({ route, security: Array.isArray(operation.security) }).toEqual({
          route,
          security: true,
        });
        if (operation.security!.length === 0) {
          publicRoutes.push(route);
        } else {
          expect(operation.security).toEqual([{ bearer: [] }, { apiKey: [] }]);
          expect(operation.responses?.['401']).toEqual({
            $ref: '#/components/responses/Problem401',
          });
        }
      }
    }
    expect(operations).toBeGreaterThan(40);
    // The dashboard (a browser's HTML shell, no data) is left out of the document.
    expect(publicRoutes.sort()).toEqual(['GET /health/live', 'GET /health/ready']);

    const capture = document.paths['/leads']!.post!;
    expect(capture.requestBody).toBeDefined();
    expect(Object.keys(capture.responses!)).toEqual(
      expect.arrayContaining(['201', '400', '401', '403', '409', '413', '422']),
    );
    expect(capture.responses!['201']!.headers).toHaveProperty('Location');
    // Every command takes an Idempotency-Key (ADR 0007), but the two routes that opt out.
    const keyed = Object.entries(document.paths).flatMap(([path, item]) =>
      Object.entries(item)
        .filter(([, operation]) =>
          (operation.parameters ?? []).some(
            (parameter) => parameter.in === 'header' && parameter.name === 'Idempotency-Key',
          ),
        )
        .map(([method]) => `${method.toUpperCase()} ${path}`),
    );
    const posts = Object.entries(document.paths)
      .filter(([, item]) => item.post !== undefined)
      .map(([path]) => `POST ${path}`);
    expect(keyed.sort()).toEqual(
      posts
        .filter((route) => route !== 'POST /ops/rebuild' && route !== 'POST /ops/api-keys')
        .sort(),
    );
    expect(capture.responses!['201']!.headers).toHaveProperty('Idempotent-Replayed');
    // The success answer's schema, generated from the zod schema the compiler ties to it.
    expect(capture.responses!['201']!.content?.['application/json']?.schema).toMatchObject({
      type: 'object',
      required: ['leadId', 'revision', 'events'],
    });
    const won = document.paths['/leads/{leadId}/won']!.post!;
    expect(Object.keys(won.responses!['200']!.content ?? {})).toEqual(['application/json']);
    const marketing = document.paths['/analytics/marketing']!.get!;
    expect(marketing.responses!['200']!.headers).toHaveProperty('Link');
    // Every other route whose body has a zod schema documents it (the views' rows are checked
    // against their declarations in analytics-view-parameters.int.spec.ts).
    const documented = (path: string, method: string, status: string) =>
      Object.keys(
        (
          document.paths[path]![method]!.responses![status]!.content?.['application/json']
            ?.schema as { properties?: object } | undefined
        )?.properties ?? {},
      );
    expect(documented('/visitors/{visitorId}/touchpoints', 'post', '201')).toEqual(['eventId']);
    expect(documented('/targets', 'post', '201')).toEqual(['eventId', 'revision', 'events']);
    expect(documented('/campaign-spend', 'post', '201')).toEqual(['eventId', 'revision', 'events']);
    expect(documented('/campaign-spend', 'post', '200')).toEqual(['eventId', 'revision', 'events']);
    expect(documented('/definitions', 'post', '201')).toContain('definitionHash');
    expect(documented('/definitions/{version}', 'get', '200')).toContain('definition');

    // Every documented body closes its objects, as ZodBodyPipe refuses a field it does not
    // declare at any depth, and as parseDefinitionToPublish does for POST /definitions.
    const open: string[] = [];
    const walk = (node: unknown, at: string): void => {
      if (typeof node !== 'object' || node === null) return;
      const schema = node as {
        type?: unknown;
        properties?: object;
        additionalProperties?: unknown;
      };
      if (schema.type === 'object' && schema.properties && schema.additionalProperties !== false)
        open.push(at);
      for (const [key, child] of Object.entries(node)) walk(child, `${at}.${key}`);
    };
    let bodies = 0;
    for (const [path, methods] of Object.entries(document.paths)) {
      for (const [method, operation] of Object.entries(methods)) {
        const body = operation.requestBody as
          { content?: Record<string, { schema?: unknown }> } | undefined;
        if (body === undefined) continue;
        bodies += 1;
        walk(body.content?.['application/json']?.schema, `${method.toUpperCase()} ${path}`);
      }
    }
    expect(bodies).toBeGreaterThan(15);
    // The rule-set writes too: a replay takes a draft or a version, an activation a version.
    for (const path of ['/ops/rules/replays', '/ops/rules/activations', '/ops/rules/applies']) {
      expect(document.paths[path]!.post!.requestBody).toBeDefined();
    }
    expect(open).toEqual([]);
  });

  it('documents the success answer of every route Nest registered, with its schema', async () => {
    const served = await request(suite.http).get('/docs-json').expect(200);
    const { paths } = served.body as { paths: Record<string, Record<string, OperationLike>> };
    // Left out on purpose, each for a reason; any other route must be in the document.
    const notInTheApi: Readonly<Record<string, string>> = {
      'GET /dashboard': 'the HTML shell of the dashboard',
      'GET /dashboard/assets/:name': "the dashboard's script, stylesheet and charts",
    };
    const routes = registeredRoutes(suite.api.app);
    const keys = routes.map((route) => `${route.method} ${route.pattern}`);
    expect(Object.keys(notInTheApi).filter((key) => !keys.includes(key))).toEqual([]);

    const undocumented: string[] = [];
    for (const route of routes) {
      const key = `${route.method} ${route.pattern}`;
      if (key in notInTheApi) continue;
      const path = route.pattern.replace(/:(\w+)/g, '{$1}');
      const operation = paths[path]?.[route.method.toLowerCase()];
      if (operation === undefined) {
        undocumented.push(`${key}: not in the document`);
        continue;
      }
      const successes = Object.entries(operation.responses ?? {}).filter(([status]) =>
        /^2\d\d$/.test(status),
      );
      if (!successes.some(([status]) => Number(status) === route.successStatus)) {
        undocumented.push(`${key}: no ${route.successStatus} answer`);
      }
      for (const [status, answer] of successes) {
        const media = Object.entries(answer.content ?? {});
        if (status === '204') {
          if (media.length > 0) undocumented.push(`${key}: a body on 204`);
        } else if (media.length === 0 || media.some(([, { schema }]) => schema === undefined)) {
          undocumented.push(`${key}: ${status} without a schema`);
        }
      }
    }
    expect(undocumented).toEqual([]);

    // Media types and the answers that are not the plain JSON default.
    const metrics = paths['/metrics']!.get!.responses!['200']!;
    expect(Object.keys(metrics.content ?? {})).toEqual(['text/plain']);
    expect(
      Object.keys(paths['/analytics/reconciliation']!.get!.responses!['200']!.content!),
    ).toEqual(['application/json', 'text/csv']);
    expect(paths['/ops/api-keys/{id}']!.delete!.responses!['204']!.content).toBeUndefined();
    expect(Object.keys(paths['/health/ready']!.get!.responses!)).toEqual(
      expect.arrayContaining(['200', '503']),
    );
    expect(Object.keys(paths['/ops/rules/applies']!.post!.responses!)).toEqual(
      expect.arrayContaining(['200', '202']),
    );
    // A 202 that is not the route's default still says where to follow the work.
    expect(paths['/ops/rules/activations']!.post!.responses!['202']!.headers).toHaveProperty(
      'Location',
    );
    const properties = (path: string, method: string, status: string) =>
      Object.keys(
        (
          paths[path]![method]!.responses![status]!.content?.['application/json']?.schema as
            { properties?: object } | undefined
        )?.properties ?? {},
      );
    expect(properties('/ops/api-keys', 'post', '201')).toContain('apiKey');
    expect(properties('/ops/api-keys', 'get', '200')).toEqual(['keys']);
    expect(properties('/leads/{leadId}/timeline', 'get', '200')).toEqual([
      'leadId',
      'status',
      'revision',
      'events',
    ]);
  });

  it('documents the problem shape the API answers with', async () => {
    const served = await request(suite.http).get('/docs-json').expect(200);
    const { components } = served.body as {
      components: {
        schemas: Record<string, { required?: string[]; properties?: Record<string, unknown> }>;
        responses: Record<string, { content: Record<string, unknown> }>;
      };
    };
    expect(components.schemas.Problem?.required).toEqual(
      expect.arrayContaining(['type', 'title', 'status', 'detail', 'instance', 'code']),
    );
    expect(components.schemas.Problem?.properties?.errors).toEqual({
      type: 'array',
      items: { $ref: '#/components/schemas/FieldProblem' },
      description: expect.any(String) as unknown,
    });
    expect(components.schemas.FieldProblem?.properties?.in).toMatchObject({
      enum: ['body', 'query', 'path', 'header'],
    });
    expect(Object.keys(components.responses.Problem400!.content)).toEqual([
      'application/problem+json',
    ]);
  });
});

interface OperationLike {
  security?: Record<string, string[]>[];
  parameters?: { in?: string; name?: string }[];
  requestBody?: unknown;
  responses?: Record<
    string,
    {
      headers?: Record<string, unknown>;
      content?: Record<string, { schema?: unknown }>;
      $ref?: string;
    }
  >;
}

/** `<url>; rel="next", …` → { next: url, … } (RFC 8288, as the API writes it). */
function parseLinks(header: string | undefined): Record<string, string | undefined> {
  const links: Record<string, string> = {};
  for (const part of (header ?? '').split(',')) {
    const match = /^\s*<([^>]*)>\s*;\s*rel="([^"]+)"\s*$/.exec(part);
    if (match) links[match[2]!] = match[1]!;
  }
  return links;
}
