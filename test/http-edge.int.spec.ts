/**
 * The API's edge on real engines (PGlite + chDB), through HTTP: security headers and no
 * X-Powered-By, the body limit (413, nothing appended), limits on the identity headers (400
 * naming the header), the per-caller write and read rate limits (429 with Retry-After), a
 * slowloris cut off soon after the headers timeout, the CORS policy,
 * and CSV exports that neutralise a formula typed into a campaign name (issue 12, items 4–5).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import type { Server } from 'node:http';
import { type AddressInfo, connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import request from 'supertest';
import type { App } from 'supertest/types';
import {
  type FunnelApiFixture,
  startFunnelApi,
  waitForProjection,
} from './support/funnel-api.fixture';
import type { Role } from '@tandem/domain';
import { asRole } from './support/auth-headers';

jest.setTimeout(180_000);

const as = (role: Role, actor = `${role}-tester`) => asRole(role, actor);
const captureBody = (overrides: Record<string, unknown> = {}) => ({
  contact: { name: 'Giulia Rossi', email: 'giulia@example.com' },
  company: { name: 'Acme', industry: 'software', size: 250, country: 'IT' },
  source: { channel: 'trade_fair', campaign: 'smau-milano' },
  productInterest: 'funnel_analytics',
  timeframe: '3_months',
  consent: { marketing: true },
  ...overrides,
});

/** A 429 of a rate limit: the problem naming the limit and its variable, and Retry-After. */
function expectRateLimited(
  refused: request.Response,
  instance: string,
  what: 'reads' | 'writes',
  variable: string,
): void {
  expect(refused.body).toEqual({
    type: 'tag:tandem,2026:problem:rate_limited',
    title: 'Too Many Requests',
    status: 429,
    instance,
    detail: expect.stringMatching(
      new RegExp(
        `^too many ${what}: at most 3 a minute per caller \\(${variable}\\); retry after \\d+ s$`,
      ),
    ) as unknown,
    code: 'rate_limited',
  });
  expect(Number(refused.headers['retry-after'])).toBeGreaterThan(0);
  expect(Number(refused.headers['retry-after'])).toBeLessThanOrEqual(60);
}

let chdbPath: string;

beforeAll(async () => {
  chdbPath = await mkdtemp(join(tmpdir(), 'tandem-edge-chdb-'));
});

afterAll(async () => {
  await rm(chdbPath, { recursive: true, force: true });
});

describe('with the default configuration', () => {
  let api: FunnelApiFixture;
  let http: App;

  beforeAll(async () => {
    api = await startFunnelApi(chdbPath);
    http = api.app.getHttpServer() as App;
  });

  afterAll(async () => {
    await api?.close();
  });

  it("bounds slow clients with the configured timeouts, not Node's 60 s / 300 s defaults", () => {
    const server = api.app.getHttpServer() as import('node:http').Server;
    expect({
      headersTimeout: server.headersTimeout,
      requestTimeout: server.requestTimeout,
      keepAliveTimeout: server.keepAliveTimeout,
      maxHeadersCount: server.maxHeadersCount,
    }).toEqual({
      headersTimeout: 10_000,
      requestTimeout: 120_000,
      keepAliveTimeout: 65_000,
      maxHeadersCount: 100,
    });
  });

  it('answers a method a known path does not take with 405 and Allow, not 404', async () => {
    const leads = await request(http)
      .put('/leads')
      .set(asRole('ops'))
      .send(captureBody())
      .expect(405);
    expect(leads.headers.allow).toBe('POST');
    expect(leads.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(leads.body).toMatchObject({ status: 405, code: 'method_not_allowed' });
    const lead = '/leads/01890a5d-ac96-774b-bcce-b302099a8057';
    expect(
      (await request(http).patch(`${lead}/accept`).set(asRole('sales')).expect(405)).headers.allow,
    ).toBe('POST');
    expect(
      (await request(http).post(`${lead}/timeline`).set(asRole('ops')).expect(405)).headers.allow,
    ).toBe('GET, HEAD');
    expect(
      (await request(http).delete('/definitions').set(asRole('ops')).expect(405)).headers.allow,
    ).toBe('GET, HEAD, POST');
    expect(
      (await request(http).put('/analytics/targets').set(asRole('ops')).expect(405)).headers.allow,
    ).toBe('GET, HEAD');
    // An unknown path is still a 404; the methods a path takes are still served.
    await request(http).put('/no-such-route').set(asRole('ops')).expect(404);
    await request(http).get('/definitions').set(asRole('ops')).expect(200);
    await request(http).head('/health').set(asRole('ops')).expect(200);
  });

  // Express's URIError reached the client as `bad_request`, a code documented nowhere.
  it('refuses a path that is not valid percent-encoding as an invalid request naming the path', async () => {
    const response = await request(http).get('/leads/%ZZ/timeline').set(asRole('ops')).expect(400);
    expect(response.body).toEqual({
      type: 'tag:tandem,2026:problem:invalid_request',
      title: 'Bad Request',
      status: 400,
      detail:
        'invalid request: the path is not valid percent-encoding: % must be followed by two hex digits',
      instance: '/leads/%ZZ/timeline',
      code: 'invalid_request',
      errors: [
        {
          in: 'path',
          field: '(path)',
          message: 'not valid percent-encoding: % must be followed by two hex digits',
        },
      ],
    });
  });

  it('sends the security headers and no X-Powered-By, on answers and refusals alike', async () => {
    for (const response of [
      await request(http).get('/health').set(asRole('ops')).expect(200),
      await request(http).get('/no-such-route').set(asRole('ops')).expect(404),
      await request(http).post('/leads').send({}).expect(401),
    ]) {
      expect(response.headers['x-powered-by']).toBeUndefined();
      expect(response.headers).toMatchObject({
        'x-content-type-options': 'nosniff',
        'x-frame-options': 'SAMEORIGIN',
        'referrer-policy': 'no-referrer',
        'cross-origin-opener-policy': 'same-origin',
        'cross-origin-resource-policy': 'same-origin',
      });
      expect(response.headers['strict-transport-security']).toMatch(/max-age=\d+/);
      expect(response.headers['content-security-policy']).toContain("default-src 'self'");
      expect(response.headers['content-security-policy']).toContain("object-src 'none'");
      expect(response.headers['content-security-policy']).not.toContain('upgrade-insecure');
    }
  });

  it('keeps the dashboard under its own, stricter CSP (one policy, not two)', async () => {
    const page = await request(http).get('/dashboard').set(asRole('ops')).expect(200);
    expect(page.headers['content-security-policy']).toMatch(
      /^default-src 'none'; script-src 'self'/,
    );
    expect(page.headers['x-powered-by']).toBeUndefined();
  });

  it('refuses a body over the limit with a 413 problem, and appends nothing', async () => {
    const head = await api.store.headPosition();
    const response = await request(http)
      .post('/leads')
      .set(as('marketing'))
      .send(captureBody({ notes: 'x'.repeat(1024 * 1024 + 1) }))
      .expect(413);
    expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(response.body).toEqual({
      type: 'tag:tandem,2026:problem:body_too_large',
      title: 'Payload Too Large',
      status: 413,
      detail: 'request body exceeds the limit of 1048576 bytes (TANDEM_BODY_LIMIT)',
      instance: '/leads',
      code: 'body_too_large',
    });
    expect(response.headers['x-correlation-id']).toBeTruthy();
    expect(await api.store.headPosition()).toBe(head);
  });

  it.each([
    ['text/plain', 'content-type'],
    ['application/x-www-form-urlencoded', 'content-type'],
    ['application/merge-patch+json', 'content-type'],
    ['application/json; charset=latin1', 'content-type'],
    ['application/json; charset=utf-16', 'content-type'],
    ['application/json; charset="UTF-16LE"', 'content-type'],
    ['application/json; charset=utf-32', 'content-type'],
    ['application/json; charset=utf8', 'content-type'],
  ])(
    'refuses a body sent as %s with a 415 problem naming it, and appends nothing',
    async (type, field) => {
      const head = await api.store.headPosition();
      const body =
        type === 'application/x-www-form-urlencoded'
          ? 'contact[name]=Giulia&contact[email]=giulia@example.com&company[name]=Acme&source[channel]=ads'
          : JSON.stringify(captureBody());
      const response = await request(http)
        .post('/leads')
        .set(as('marketing'))
        .set('content-type', type)
        .send(body)
        .expect(415);
      expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(response.body).toMatchObject({
        status: 415,
        code: 'unsupported_media_type',
        errors: [{ in: 'header', field, message: 'must be application/json (UTF-8)' }],
      });
      expect(await api.store.headPosition()).toBe(head);
    },
  );

  it('refuses a body in a Content-Encoding it cannot read with a 415 problem naming it', async () => {
    const head = await api.store.headPosition();
    const response = await request(http)
      .post('/leads')
      .set(as('marketing'))
      .set('content-type', 'application/json')
      .set('content-encoding', 'x-tandem-unknown')
      .send(JSON.stringify(captureBody()))
      .expect(415);
    expect(response.body).toMatchObject({
      code: 'unsupported_media_type',
      errors: [{ in: 'header', field: 'content-encoding' }],
    });
    expect(await api.store.headPosition()).toBe(head);
  });

  it.each(['gzip', 'deflate', 'br'])(
    'refuses a body that is not %s-compressed as its Content-Encoding says with a 400 problem',
    async (encoding) => {
      const head = await api.store.headPosition();
      const response = await request(http)
        .post('/leads')
        .set(as('marketing'))
        .set('content-type', 'application/json')
        .set('content-encoding', encoding)
        .send(JSON.stringify(captureBody()))
        .expect(400);
      expect(response.body).toMatchObject({
        code: 'invalid_request',
        errors: [{ in: 'body', field: '(body)' }],
      });
      expect(await api.store.headPosition()).toBe(head);
    },
  );

  it.each([
    'application/json; charset=utf-8',
    'Application/JSON; Charset="UTF-8"',
    'application/json;charset=UTF-8',
  ])('takes a JSON body sent as %s', async (type) => {
    await request(http)
      .post('/leads')
      .set(as('marketing'))
      .set('content-type', type)
      .send(JSON.stringify(captureBody()))
      .expect(201);
  });

  // A body with a mistake per key or array entry was named mistake by mistake: 600 KB of empty
  // criteria answered 106 MB, and logged as much, after seconds on the event loop (audit h3).
  it('names at most 100 problems of a body holding thousands, and counts the others', async () => {
    const head = await api.store.headPosition();
    const unknownKeys = Object.fromEntries(
      Array.from({ length: 5000 }, (_, index) => [`field${index}`, 1]),
    );
    const keys = await request(http)
      .post('/leads')
      .set(as('marketing'))
      .send(captureBody(unknownKeys))
      .expect(400);
    const { errors, detail } = keys.body as { errors: { field: string }[]; detail: string };
    expect(errors).toHaveLength(100);
    expect(errors[0]).toEqual({
      in: 'body',
      field: 'field0',
      message: 'not a field of this request',
    });
    expect(detail).toMatch(
      /^invalid request: field0: not a field of this request; .*; and 4900 more$/,
    );

    const definition = await request(http).get('/definitions/1').set(as('ops')).expect(200);
    const draft = (definition.body as { definition: { version: number; icp: object } }).definition;
    const lists = await request(http)
      .post('/definitions')
      .set(as('ops'))
      .send({ ...draft, version: 2, icp: { ...draft.icp, industries: Array(3000).fill('') } })
      .expect(400);
    expect((lists.body as { errors: unknown[] }).errors).toHaveLength(100);
    expect((lists.body as { detail: string }).detail).toMatch(/; and \d+ more$/);

    // The criteria a lead meets are codes of the definition's list: no more than it may hold.
    const criteria = await request(http)
      .post('/leads/0190d0b0-1111-7000-8000-00000000beef/sql')
      .set(as('sales'))
      .send({ criteriaMet: Array(5000).fill('') })
      .expect(400);
    expect((criteria.body as { errors: unknown[] }).errors).toEqual([
      { in: 'body', field: 'criteriaMet', message: 'Too big: expected array to have <=1000 items' },
    ]);
    expect(await api.store.headPosition()).toBe(head);
  });

  it('still takes a bare POST without a body or Content-Type', async () => {
    const captured = await request(http)
      .post('/leads')
      .set(as('marketing'))
      .send(captureBody())
      .expect(201);
    const leadId = (captured.body as { leadId: string }).leadId;
    await request(http)
      .post(`/leads/${leadId}/touchpoints`)
      .set(as('marketing'))
      .send({ kind: 'demo_request', channel: 'web' })
      .expect(200);
    await request(http).post(`/leads/${leadId}/mql`).set(as('marketing')).expect(200);
  });

  it.each([
    ['x-tandem-actor', 'a'.repeat(201)],
    ['x-tandem-actor', 'José'],
    ['x-correlation-id', 'c'.repeat(201)],
    ['x-causation-id', 'c'.repeat(201)],
  ])('refuses %s that is too long or not printable ASCII: 400 naming it', async (name, value) => {
    const head = await api.store.headPosition();
    const response = await request(http)
      .post('/leads')
      .set(as('marketing'))
      .set(name, value)
      .send(captureBody())
      .expect(400);
    expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(response.body).toEqual({
      type: 'tag:tandem,2026:problem:invalid_header',
      title: 'Bad Request',
      status: 400,
      detail: `${name} must be at most 200 printable ASCII characters`,
      instance: '/leads',
      code: 'invalid_header',
      errors: [
        { in: 'header', field: name, message: 'must be at most 200 printable ASCII characters' },
      ],
    });
    expect(response.headers['x-correlation-id']).toBeUndefined(); // never echoed back
    expect(await api.store.headPosition()).toBe(head);
  });

  it('accepts identity headers of exactly 200 printable characters', async () => {
    const actor = 'a'.repeat(200);
    await request(http)
      .post('/leads')
      .set(as('marketing', actor))
      .set('x-correlation-id', 'c'.repeat(200))
      .send(captureBody())
      .expect(201);
  });

  it.each([
    [
      'a 20,000-character query parameter name',
      `/leads/hubspot:1/timeline?${'q'.repeat(20_000)}=1`,
      {},
    ],
    ['an oversized header', '/leads/hubspot:1/timeline', { 'x-filler': 'f'.repeat(20_000) }],
    [
      'more header lines than TANDEM_HTTP_MAX_HEADERS (100)',
      '/leads/hubspot:1/timeline',
      Object.fromEntries(Array.from({ length: 100 }, (_, i) => [`x-filler-${i}`, 'f'])),
    ],
  ])('answers %s with a 431 problem, not an empty body', async (_case, path, headers) => {
    const response = await request(http).get(path).set(as('analyst')).set(headers).expect(431);
    expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(response.headers.connection).toBe('close');
    expect(response.body).toEqual({
      type: 'tag:tandem,2026:problem:headers_too_large',
      title: 'Request Header Fields Too Large',
      status: 431,
      detail: expect.stringMatching(
        /^the request line and headers together must be at most \d+ bytes in at most 100 header lines$/,
      ) as unknown,
      instance: '/leads/hubspot:1/timeline',
      code: 'headers_too_large',
      errors: [{ in: 'header', field: '(headers)', message: expect.any(String) as unknown }],
    });
  });

  it('answers a malformed request on a kept-alive connection with a 400 problem, then closes it', async () => {
    const server = api.app.getHttpServer() as Server;
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const socket = connect((server.address() as AddressInfo).port, '127.0.0.1');
    try {
      let received = '';
      const ended = new Promise<void>((resolve) => socket.once('end', resolve));
      const arrived = (pattern: RegExp) =>
        new Promise<void>((resolve) => {
          const check = () => {
            if (!pattern.test(received)) return;
            socket.off('data', check);
            resolve();
          };
          socket.on('data', (chunk: Buffer) => {
            received += chunk.toString('utf8');
          });
          socket.on('data', check);
          check();
        });
      // A first request is answered and the connection kept for the next one.
      socket.write('GET /health/live HTTP/1.1\r\nHost: tandem\r\n\r\n');
      await arrived(/\r\n\r\n\{[^]*\}/);
      expect(received).toMatch(/^HTTP\/1\.1 200 /);
      expect(received).toMatch(/\r\nConnection: keep-alive\r\n/i);
      received = '';
      socket.write('GET /leads HTTP/1.1\r\nHost: tandem\r\nNot a header\r\n\r\n');
      await ended;
      const [head = '', body = ''] = received.split('\r\n\r\n');
      expect(head).toMatch(/^HTTP\/1\.1 400 Bad Request\r\n/);
      expect(head).toMatch(/\r\nContent-Type: application\/problem\+json\r\n/);
      expect(head).toMatch(/\r\nConnection: close(\r\n|$)/);
      expect(JSON.parse(body)).toEqual({
        type: 'tag:tandem,2026:problem:invalid_request',
        title: 'Bad Request',
        status: 400,
        detail: expect.stringMatching(/^invalid request: not valid HTTP\/1\.1 \(.+\)$/) as unknown,
        instance: '/leads',
        code: 'invalid_request',
      });
    } finally {
      socket.destroy();
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it('answers no CORS preflight: CORS is off unless origins are configured', async () => {
    const response = await request(http)
      .options('/leads')
      .set('Origin', 'https://app.example.com')
      .set('Access-Control-Request-Method', 'POST');
    expect(response.headers['access-control-allow-origin']).toBeUndefined();
  });

  it('neutralises a formula typed into a campaign name in the marketing lens CSV', async () => {
    const campaign = '=HYPERLINK("http://x")';
    await request(http)
      .post('/leads')
      .set(as('marketing'))
      .send(captureBody({ source: { channel: 'csv_injection', campaign } }))
      .expect(201);
    await waitForProjection(http);

    const csv = await request(http)
      .get('/analytics/marketing?format=csv&channel=csv_injection')
      .set(asRole('ops'))
      .expect(200);
    expect(csv.headers['content-type']).toMatch(/^text\/csv/);
    const [header, row, end] = csv.text.split('\r\n');
    expect(header?.split(',').slice(0, 3)).toEqual(['channel', 'campaign', 'leads']);
    expect(row).toMatch(/^csv_injection,"'=HYPERLINK\(""http:\/\/x""\)",1,0,/);
    expect(end).toBe('');
    // JSON is data, not a spreadsheet: the name comes back exactly as typed.
    const json = await request(http)
      .get('/analytics/marketing?channel=csv_injection')
      .set(asRole('ops'))
      .expect(200);
    expect(json.body).toEqual([expect.objectContaining({ channel: 'csv_injection', campaign })]);
  });
});

describe('with a read limit', () => {
  let api: FunnelApiFixture;
  let http: App;

  beforeAll(async () => {
    api = await startFunnelApi(chdbPath, { http: { readsPerMinute: 3 } });
    http = api.app.getHttpServer() as App;
    // The views answer once the projector has projected the active rule set (/health: no read).
    await waitForProjection(http);
  });

  afterAll(async () => {
    await api?.close();
  });

  it('limits reads per caller apart from writes: 429 with Retry-After, probes never counted', async () => {
    const read = (actor: string) =>
      request(http).get('/analytics/funnel').set(as('analyst', actor));
    for (let i = 0; i < 3; i++) await read('poller@example.com').expect(200);

    const refused = await read('poller@example.com').expect(429);
    expectRateLimited(refused, '/analytics/funnel', 'reads', 'TANDEM_RATE_LIMIT_READS_PER_MINUTE');

    // Another caller has its own budget; the same caller's writes and probes are not reads.
    await read('calm@example.com').expect(200);
    await request(http)
      .post('/leads')
      .set(as('marketing', 'poller@example.com'))
      .send(captureBody())
      .expect(201);
    for (let i = 0; i < 5; i++) {
      await request(http).get('/health').set(as('analyst', 'poller@example.com')).expect(200);
    }
  });

  it("counts API reads only: the dashboard's files and /docs never spend the budget", async () => {
    const caller = as('analyst', 'dashboard-user@example.com');
    // Loading the dashboard three times over (page, script, stylesheet) and the API's docs.
    for (let i = 0; i < 3; i++) {
      for (const path of [
        '/dashboard',
        '/dashboard/assets/dashboard.js',
        '/dashboard/assets/dashboard.css',
        '/docs/',
        '/docs-json',
        '/health/live',
        '/health/ready',
      ]) {
        const answer = await request(http).get(path).set(caller);
        expect({ path, status: answer.status }).toEqual({ path, status: 200 });
      }
    }
    // Anonymous loads (a browser before its token) are the client address's: not counted either.
    for (let i = 0; i < 4; i++) await request(http).get('/dashboard').expect(200);

    // The whole budget is still there for the API's reads, and it is still enforced.
    for (let i = 0; i < 3; i++)
      await request(http).get('/analytics/funnel').set(caller).expect(200);
    await request(http).get('/analytics/funnel').set(caller).expect(429);
  });
});

describe('with a short headers timeout', () => {
  let api: FunnelApiFixture;
  let port: number;

  beforeAll(async () => {
    api = await startFunnelApi(chdbPath, { http: { headersTimeoutMs: 1_000 } });
    await api.app.listen(0, '127.0.0.1');
    port = ((api.app.getHttpServer() as Server).address() as AddressInfo).port;
  });

  afterAll(async () => {
    await api?.close();
  });

  it('disconnects a slowloris client soon after the headers timeout, not up to 30 s later', async () => {
    // Headers sent byte by byte, never finished. Node checks the timeouts every
    // connectionsCheckingInterval: 30 s by default, which kept such a socket open that long.
    const slow = connect(port, '127.0.0.1');
    let received = '';
    slow.on('data', (chunk: Buffer) => (received += chunk.toString('utf8')));
    slow.on('error', () => undefined);
    const request = 'GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ' + 'a'.repeat(10_000);
    let sent = 0;
    const dribble = setInterval(() => {
      if (!slow.destroyed && sent < request.length) slow.write(request[sent++]!);
    }, 50);
    const closed = await new Promise<boolean>((resolve) => {
      const giveUp = setTimeout(() => resolve(false), 10_000);
      slow.once('close', () => {
        clearTimeout(giveUp);
        resolve(true);
      });
    });
    clearInterval(dribble);
    slow.destroy();
    // Disconnected well within 10 s (the timeout is 1 s, checked every 500 ms), headers unfinished.
    expect(closed).toBe(true);
    expect(sent).toBeLessThan(request.length);
    expect(received).toMatch(/^HTTP\/1\.1 408 /);
  });
});

describe('with a tiny write limit and allowed CORS origins', () => {
  const allowed = 'https://app.example.com';
  let api: FunnelApiFixture;
  let http: App;

  beforeAll(async () => {
    api = await startFunnelApi(chdbPath, {
      http: { writesPerMinute: 3, corsOrigins: [allowed, 'http://localhost:5173'] },
    });
    http = api.app.getHttpServer() as App;
  });

  afterAll(async () => {
    await api?.close();
  });

  it('limits writes per caller: 429 with Retry-After after the limit, others unaffected', async () => {
    const write = (actor: string) =>
      request(http).post('/leads').set(as('marketing', actor)).send(captureBody());
    for (let i = 0; i < 3; i++) await write('busy@example.com').expect(201);
    const head = await api.store.headPosition();

    const refused = await write('busy@example.com').expect(429);
    expectRateLimited(refused, '/leads', 'writes', 'TANDEM_RATE_LIMIT_WRITES_PER_MINUTE');
    expect(await api.store.headPosition()).toBe(head);

    // Another caller has its own budget; reads are not limited unless configured.
    await write('calm@example.com').expect(201);
    for (let i = 0; i < 5; i++) {
      await request(http).get('/health').set(as('marketing', 'busy@example.com')).expect(200);
    }
  });

  it('allows a CORS preflight from a configured origin', async () => {
    const response = await request(http)
      .options('/leads')
      .set('Origin', allowed)
      .set('Access-Control-Request-Method', 'POST')
      .set('Access-Control-Request-Headers', 'content-type,authorization,idempotency-key')
      .expect(204);
    expect(response.headers['access-control-allow-origin']).toBe(allowed);
    expect(response.headers['access-control-allow-methods']).toBe('GET,HEAD,POST');
    expect(response.headers['access-control-allow-headers']).toContain('authorization');
    expect(response.headers['access-control-allow-credentials']).toBeUndefined();
    expect(response.headers.vary).toMatch(/Origin/i);

    const read = await request(http)
      .get('/health')
      .set(as('analyst'))
      .set('Origin', allowed)
      .expect(200);
    expect(read.headers['access-control-allow-origin']).toBe(allowed);
    expect(read.headers['access-control-expose-headers']).toContain('x-correlation-id');
    expect(read.headers['access-control-expose-headers']).toContain('www-authenticate');
  });

  it('refuses a CORS preflight from any other origin', async () => {
    for (const origin of ['https://evil.example.com', 'https://app.example.com.evil.io', 'null']) {
      const response = await request(http)
        .options('/leads')
        .set('Origin', origin)
        .set('Access-Control-Request-Method', 'POST');
      expect(response.headers['access-control-allow-origin']).toBeUndefined();
    }
  });
});
