/**
 * The worker processes' HTTP server (relay, projector) over a real socket: every refusal is a
 * problem-details answer like the API's, and a failing report or exposition is logged, never
 * shown. No broker needed: the server only calls what it is given.
 */
import type { Server } from 'node:http';
import { type AddressInfo, connect } from 'node:net';
import { serveHealth, type HealthServerLog, type MetricsResponder } from './health.server';

const SECRET = 'connect ECONNREFUSED 10.1.2.3:5432 (user tandem_relay)';

describe('the worker health server', () => {
  let server: Server;
  let base: string;
  let failing = false;
  const logged: unknown[] = [];
  const log: HealthServerLog = { error: (details) => void logged.push(details.err) };
  const metrics: MetricsResponder = async () => {
    if (failing) throw new Error(SECRET);
    return { status: 200, headers: { 'content-type': 'text/plain' }, body: 'tandem_up 1\n' };
  };

  beforeAll(async () => {
    server = await serveHealth(
      '127.0.0.1',
      0,
      async () => {
        if (failing) throw new Error(SECRET);
        return { status: 'ok', lag: '0' };
      },
      metrics,
      log,
    );
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await new Promise((resolve) => server.close(resolve));
  });
  afterEach(() => {
    failing = false;
    logged.length = 0;
  });

  /** Writes `raw` on a fresh connection and reads everything until the server closes it. */
  async function rawExchange(raw: string): Promise<{ head: string; body: string }> {
    const socket = connect((server.address() as AddressInfo).port, '127.0.0.1');
    let received = '';
    socket.on('data', (chunk: Buffer) => (received += chunk.toString('utf8')));
    await new Promise<void>((resolve) => {
      socket.once('close', () => resolve());
      socket.write(raw);
    });
    const [head = '', body = ''] = received.split('\r\n\r\n');
    return { head, body };
  }

  it('answers GET /health, with or without a query', async () => {
    for (const path of ['/health', '/health?probe=1']) {
      const response = await fetch(`${base}${path}`);
      expect(response.status).toBe(200);
      expect(await response.json()).toEqual({ status: 'ok', lag: '0' });
    }
  });

  it('answers an unknown path with a 404 problem naming what it serves', async () => {
    const response = await fetch(`${base}/nope?x=1`);
    expect(response.status).toBe(404);
    expect(response.headers.get('content-type')).toBe('application/problem+json');
    expect(await response.json()).toEqual({
      type: 'tag:tandem,2026:problem:not_found',
      title: 'Not Found',
      status: 404,
      detail: 'no such path: this worker answers GET /health and GET /metrics',
      instance: '/nope',
      code: 'not_found',
    });
  });

  it('answers another method on a path it serves with a 405 problem and Allow', async () => {
    const response = await fetch(`${base}/health`, { method: 'POST', body: '{}' });
    expect(response.status).toBe(405);
    expect(response.headers.get('allow')).toBe('GET, HEAD');
    expect(await response.json()).toMatchObject({
      code: 'method_not_allowed',
      status: 405,
      instance: '/health',
    });
  });

  it('answers a failing /metrics with a 500 problem, the error in the log only', async () => {
    failing = true;
    const response = await fetch(`${base}/metrics`);
    const body = await response.text();
    expect(response.status).toBe(500);
    expect(response.headers.get('content-type')).toBe('application/problem+json');
    expect(JSON.parse(body)).toEqual({
      type: 'tag:tandem,2026:problem:internal_error',
      title: 'Internal Server Error',
      status: 500,
      detail: 'internal error; the worker log has the details',
      instance: '/metrics',
      code: 'internal_error',
    });
    expect(body).not.toContain('10.1.2.3');
    expect(logged).toEqual([new Error(SECRET)]);
  });

  it('answers a failing health report with a 503 status, the error in the log only', async () => {
    failing = true;
    const response = await fetch(`${base}/health`);
    const body = await response.text();
    expect(response.status).toBe(503);
    expect(JSON.parse(body)).toEqual({
      status: 'error',
      error: 'the health report failed; the worker log has the details',
    });
    expect(body).not.toContain('10.1.2.3');
    expect(logged).toEqual([new Error(SECRET)]);
  });

  it.each([
    [
      'oversized headers with a 431',
      `GET /health HTTP/1.1\r\nHost: w\r\nX-Filler: ${'f'.repeat(20_000)}\r\n\r\n`,
      431,
      'headers_too_large',
    ],
    [
      'a malformed request with a 400',
      'GET /health HTTP/1.1\r\nNot a header\r\n\r\n',
      400,
      'invalid_request',
    ],
  ])('answers %s problem, not an empty body', async (_case, raw, status, code) => {
    const { head, body } = await rawExchange(raw);
    expect(head).toMatch(new RegExp(`^HTTP/1\\.1 ${status} `));
    expect(head).toMatch(/\r\nContent-Type: application\/problem\+json\r\n/);
    expect(JSON.parse(body)).toMatchObject({ code, status, instance: '/health' });
  });

  it('closes a connection that sends half a request line within the headers timeout, and serves others', async () => {
    // A slowloris holds a socket by never finishing its headers; with a short configured
    // headers timeout the server answers 408 and closes it (Node's default waited 60 s).
    const bounded = await serveHealth(
      '127.0.0.1',
      0,
      async () => ({ status: 'ok' }),
      undefined,
      log,
      {
        headersTimeoutMs: 200,
        requestTimeoutMs: 1_000,
        keepAliveTimeoutMs: 5_000,
        maxHeadersCount: 100,
      },
    );
    try {
      // The configured bounds, not Node's (60 s headers, 300 s request, 5 s keep-alive, 2000).
      expect({
        headersTimeout: bounded.headersTimeout,
        requestTimeout: bounded.requestTimeout,
        keepAliveTimeout: bounded.keepAliveTimeout,
        maxHeadersCount: bounded.maxHeadersCount,
      }).toEqual({
        headersTimeout: 200,
        requestTimeout: 1_000,
        keepAliveTimeout: 5_000,
        maxHeadersCount: 100,
      });
      const port = (bounded.address() as AddressInfo).port;
      const slow = connect(port, '127.0.0.1');
      let received = '';
      slow.on('data', (chunk: Buffer) => (received += chunk.toString('utf8')));
      const closed = new Promise<void>((resolve) => slow.once('close', () => resolve()));
      slow.write('GET /hea');
      // Meanwhile the server still answers a whole request.
      const other = await fetch(`http://127.0.0.1:${port}/health`);
      expect(other.status).toBe(200);
      await closed;
      expect(received).toMatch(/^HTTP\/1\.1 408 /);
      expect((await fetch(`http://127.0.0.1:${port}/health`)).status).toBe(200);
    } finally {
      await new Promise((resolve) => bounded.close(resolve));
    }
  });
});
