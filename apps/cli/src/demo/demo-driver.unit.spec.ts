import { ApiError } from '../api-client';
import { demoApiEnvironment } from './demo.command';
import { driveQuarter } from './demo-driver';
import type { SimulatedQuarter, SimulatedRequest } from './quarter-simulation';

const request = (path: string, gate = false): SimulatedRequest => ({
  at: '2025-01-02T10:00:00.000Z',
  role: 'marketing',
  actor: 'demo@test.tandem',
  path,
  body: {},
  ...(gate ? { gate } : {}),
});

const quarter = (...paths: string[]): SimulatedQuarter => ({
  label: '2025-Q1',
  planning: [],
  journeys: [{ leadId: 'lead-1', requests: paths.map((path) => request(path)) }],
});

/** An API that answers each path's scripted statuses in turn, then 201. */
function scriptedApi(script: Record<string, (number | [number, number])[]>) {
  const sent: string[] = [];
  return {
    sent,
    post: async <T>(path: string): Promise<T> => {
      sent.push(path);
      const next = script[path]?.shift();
      if (next === undefined) return {} as T;
      const [status, retryAfter] = Array.isArray(next) ? next : [next, null];
      throw new ApiError(status, { status }, path, 'POST', retryAfter);
    },
  };
}

describe('driveQuarter', () => {
  it('sends a write the rate limit refused again after its Retry-After, and goes on', async () => {
    const api = scriptedApi({
      '/leads/l/touchpoints': [
        [429, 7],
        [429, 3],
      ],
    });
    const waits: number[] = [];
    const report = await driveQuarter(
      api,
      quarter('/leads', '/leads/l/touchpoints', '/leads/l/x'),
      {
        concurrency: 1,
        sleep: async (ms) => void waits.push(ms),
      },
    );
    expect(waits).toEqual([7_000, 3_000]);
    expect(api.sent).toEqual([
      '/leads',
      '/leads/l/touchpoints',
      '/leads/l/touchpoints',
      '/leads/l/touchpoints',
      '/leads/l/x',
    ]);
    expect(report).toMatchObject({ requests: 3, throttled: 2, failures: [] });
  });

  it('waits a second when a 429 gives no Retry-After, and gives up after ten attempts', async () => {
    const api = scriptedApi({ '/leads': Array.from({ length: 10 }, () => 429) });
    const waits: number[] = [];
    const report = await driveQuarter(api, quarter('/leads', '/leads/l/x'), {
      concurrency: 1,
      sleep: async (ms) => void waits.push(ms),
    });
    expect(waits).toEqual(Array.from({ length: 9 }, () => 1_000));
    expect(report.failures).toHaveLength(1);
    expect(report.failures[0]).toContain('HTTP 429');
    expect(api.sent).not.toContain('/leads/l/x');
  });

  it('ends a journey on a refused MQL gate without counting it as a failure', async () => {
    const api = scriptedApi({ '/leads/l/mql': [422] });
    const journey = { leadId: 'l', requests: [request('/leads'), request('/leads/l/mql', true)] };
    const report = await driveQuarter(
      api,
      { label: 'q', planning: [], journeys: [journey] },
      { concurrency: 1, sleep: async () => {} },
    );
    expect(report).toMatchObject({ refusedMql: 1, throttled: 0, failures: [] });
  });
});

describe('demoApiEnvironment', () => {
  it("lifts the API's per-caller write limit to the most its setting allows", () => {
    const env = demoApiEnvironment({ PATH: '/bin' });
    expect(env).toMatchObject({
      PATH: '/bin',
      TANDEM_RATE_LIMIT_WRITES_PER_MINUTE: '1000000',
      TANDEM_LOG_LEVEL: 'warn',
    });
  });

  it('keeps a limit and a log level the environment sets', () => {
    const env = demoApiEnvironment({
      TANDEM_RATE_LIMIT_WRITES_PER_MINUTE: '600',
      TANDEM_LOG_LEVEL: 'debug',
    });
    expect(env.TANDEM_RATE_LIMIT_WRITES_PER_MINUTE).toBe('600');
    expect(env.TANDEM_LOG_LEVEL).toBe('debug');
  });
});
