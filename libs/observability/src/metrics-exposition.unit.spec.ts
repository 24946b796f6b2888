import { createMetricsRegistry } from './metrics';
import { metricsEndpoint } from './metrics-exposition';

describe('metricsEndpoint', () => {
  const registry = createMetricsRegistry('test');

  it('answers the exposition to anyone when no secret is configured', async () => {
    const answer = await metricsEndpoint(registry, null)(undefined);
    expect(answer.status).toBe(200);
    expect(answer.body).toContain('process_cpu_user_seconds_total');
  });

  it('answers only the configured bearer secret when there is one', async () => {
    const answer = metricsEndpoint(registry, 'a-scraper-secret-of-some-length');
    const refused = await answer(undefined);
    expect(refused.status).toBe(401);
    expect(refused.headers).toEqual({
      'content-type': 'application/problem+json',
      'www-authenticate': 'Bearer realm="metrics"',
    });
    expect(JSON.parse(refused.body)).toEqual({
      type: 'tag:tandem,2026:problem:unauthenticated',
      title: 'Unauthorized',
      status: 401,
      detail: 'metrics need the bearer secret (TANDEM_METRICS_TOKEN)',
      instance: '/metrics',
      code: 'unauthenticated',
    });
    expect((await answer('Bearer not-the-secret')).status).toBe(401);
    expect((await answer('a-scraper-secret-of-some-length')).status).toBe(401);
    const allowed = await answer('Bearer a-scraper-secret-of-some-length');
    expect(allowed.status).toBe(200);
    expect(allowed.headers['content-type']).toBe(registry.contentType);
  });
});
