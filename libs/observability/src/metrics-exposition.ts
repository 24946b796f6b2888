/**
 * The answer to `GET /metrics`, for any HTTP server (Nest's Express in the API, node:http in
 * the workers): the registry's text exposition, behind an optional bearer secret.
 *
 * Scrapers carry no user token, so /metrics is not behind user authentication: without
 * TANDEM_METRICS_TOKEN it is open like liveness (it holds counts, never personal data);
 * with it, only `Authorization: Bearer <that secret>` gets the metrics. It must never
 * accept a user's token instead, nor say why a secret was wrong.
 */
import { httpProblem, PROBLEM_CONTENT_TYPE, sameSecret, secretDigest } from '@tandem/http';
import type { Registry } from 'prom-client';

export interface MetricsAnswer {
  readonly status: 200 | 401;
  readonly headers: Record<string, string>;
  readonly body: string;
}

export function metricsEndpoint(registry: Registry, token: string | null) {
  const expected = token === null ? null : secretDigest(`Bearer ${token}`);
  return async (authorization: string | undefined): Promise<MetricsAnswer> => {
    if (expected !== null) {
      if (!sameSecret(authorization ?? '', expected)) {
        // The API's word for a missing or wrong credential, in the shape of its other refusals.
        const problem = httpProblem(
          401,
          'unauthenticated',
          'metrics need the bearer secret (TANDEM_METRICS_TOKEN)',
          { instance: '/metrics' },
        );
        return {
          status: 401,
          headers: {
            'content-type': PROBLEM_CONTENT_TYPE,
            'www-authenticate': 'Bearer realm="metrics"',
          },
          body: JSON.stringify(problem),
        };
      }
    }
    return {
      status: 200,
      headers: { 'content-type': registry.contentType },
      body: await registry.metrics(),
    };
  };
}
