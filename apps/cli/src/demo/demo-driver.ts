/**
 * Sends a simulated quarter through the funnel API, as many clients would:
 * journeys of different leads in parallel, each lead's requests in order. An MQL
 * decision the API refuses (422) ends that lead's journey — the rules decide.
 */
import { ApiClient, ApiError } from '../api-client';
import type { LeadJourney, SimulatedQuarter, SimulatedRequest } from './quarter-simulation';

export interface DriveReport {
  readonly leads: number;
  readonly requests: number;
  readonly refusedMql: number;
  readonly failures: readonly string[];
  readonly seconds: number;
}

export async function driveQuarter(
  api: ApiClient,
  quarter: SimulatedQuarter,
  options: { concurrency: number; onProgress?: (done: number, total: number) => void },
): Promise<DriveReport> {
  const started = Date.now();
  let requests = 0;
  let refusedMql = 0;
  const failures: string[] = [];
  const send = async (request: SimulatedRequest) => {
    requests++;
    await api.post(
      request.path,
      { ...request.body, occurredAt: request.at },
      request.role,
      request.actor,
    );
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
    failures,
    seconds: (Date.now() - started) / 1000,
  };
}
