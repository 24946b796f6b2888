/**
 * Sends a simulated quarter through the funnel API, as many clients would:
 * journeys of different leads in parallel, each lead's requests in order. An MQL
 * decision the API refuses (422) ends that lead's journey — the rules decide. A write the
 * API's rate limit turns away (429: refused before anything was done) is sent again after
 * its Retry-After, as a well-behaved client does.
 */
import { ApiClient, ApiError } from '../api-client';
import type { LeadJourney, SimulatedQuarter, SimulatedRequest } from './quarter-simulation';

export interface DriveReport {
  readonly leads: number;
  readonly requests: number;
  readonly refusedMql: number;
  /** Requests the rate limit turned away and that were sent again after its Retry-After. */
  readonly throttled: number;
  readonly failures: readonly string[];
  readonly seconds: number;
}

/** How often one request is sent again after a 429 before it counts as a failure. */
const MAX_THROTTLED_ATTEMPTS = 10;

export async function driveQuarter(
  api: Pick<ApiClient, 'post'>,
  quarter: SimulatedQuarter,
  options: {
    concurrency: number;
    onProgress?: (done: number, total: number) => void;
    /** How the driver waits out a Retry-After (tests pass a clock of their own). */
    sleep?: (ms: number) => Promise<void>;
  },
): Promise<DriveReport> {
  const sleep =
    options.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  const started = Date.now();
  let requests = 0;
  let refusedMql = 0;
  let throttled = 0;
  const failures: string[] = [];
  const send = async (request: SimulatedRequest) => {
    requests++;
    for (let attempt = 1; ; attempt++) {
      try {
        await api.post(
          request.path,
          { ...request.body, occurredAt: request.at },
          request.role,
          request.actor,
        );
        return;
      } catch (error) {
        if (!(error instanceof ApiError && error.status === 429)) throw error;
        if (attempt >= MAX_THROTTLED_ATTEMPTS) throw error;
        throttled++;
        await sleep((error.retryAfterSeconds ?? 1) * 1000);
      }
    }
  };

  for (const request of quarter.planning) await send(request);

  let next = 0;
  let done = 0;
  const runJourney = async (journey: LeadJourney) => {
    for (const request of journey.requests) {
      try {
        await send(request);
      } catch (error) {
        if (request.gate && error instanceof ApiError && error.status === 422) {
          refusedMql++;
          return;
        }
        failures.push(error instanceof Error ? error.message : String(error));
        return;
      }
    }
  };
  const worker = async () => {
    while (next < quarter.journeys.length) {
      const journey = quarter.journeys[next++];
      if (!journey) break;
      await runJourney(journey);
      done++;
      if (done % 250 === 0) options.onProgress?.(done, quarter.journeys.length);
    }
  };
  await Promise.all(Array.from({ length: options.concurrency }, worker));
  return {
    leads: quarter.journeys.length,
    requests,
    refusedMql,
    throttled,
    failures,
    seconds: (Date.now() - started) / 1000,
  };
}
