/**
 * Why a business time an import file gives is ahead of the clock, said so a person can act on
 * it. It is the usual refused time on day one — a zone-less export's local times read as UTC, a
 * deal marked won at a date not yet come — and "is not a date" or "must not be in the future"
 * sent people looking for a typo in a well-formed date, or left them guessing which clock. Used
 * by every place an import judges a time: the canonical `occurredAt` (canonical-jsonl.source.ts)
 * and each CSV preset's time cells (csv-rows.ts).
 */
import { FUTURE_SKEW_MS } from '@tandem/contracts';

/**
 * `is in the future: after <now> …` when `iso` (an ISO-8601 time with a zone) is later than the
 * clock allows a new fact (the API's commandTimeSchema: now and a few minutes of skew); null
 * otherwise. `zoneGiven` false: the cell had no zone and was read as UTC, which the message
 * says, since that is the likely cause.
 */
export function futureTimeProblem(iso: string, zoneGiven: boolean): string | null {
  const now = Date.now();
  if (!(Date.parse(iso) > now + FUTURE_SKEW_MS)) return null;
  const clock = `${new Date(now).toISOString().slice(0, 19)}Z`;
  const because = zoneGiven
    ? 'a fact cannot be recorded before it happened'
    : 'times without a zone are read as UTC (local times of a zone ahead of UTC?)';
  return `is in the future: after ${clock}, this import's clock; ${because}`;
}
