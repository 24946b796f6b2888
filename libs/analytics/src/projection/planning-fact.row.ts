/**
 * Maps planning events to their analytics rows: CampaignSpendRecorded to `campaign_spend`,
 * TargetSet to `targets`. Pure, like toLeadEventRow: the same envelope always gives the same row.
 *
 * FunnelDefinitionPublished, FunnelDefinitionActivated (and any event that is not a planning
 * fact) are `skip`: definitions are configuration, not numbers. An envelope that breaks the contract is `invalid` with a
 * reason, so the caller can dead-letter it.
 *
 * Money and target values travel as decimal strings, never JS-number arithmetic: the JSON
 * number of the event is written as ClickHouse reads it into Decimal(38, 4), and a value that
 * does not fit four decimal places or 34 integer digits is invalid rather than silently rounded.
 */
import type { TargetMetric } from '@tandem/domain';
import { toClickHouseDateTime } from '../clickhouse/clickhouse-datetime';
import { isValidGlobalPosition, type AnyEnvelope } from './lead-event.row';

/** One row of `campaign_spend`, in the JSONEachRow shape ClickHouse reads. */
export interface CampaignSpendRow {
  readonly event_id: string;
  readonly campaign: string;
  readonly channel: string;
  /** Exact decimal string. */
  readonly amount: string;
  readonly currency: string;
  /** `YYYY-MM-DD`. */
  readonly spent_on: string;
  readonly global_position: string;
  readonly recorded_at: string;
}

/** One row of `targets`, in the JSONEachRow shape ClickHouse reads. */
export interface TargetRow {
  readonly team: 'marketing' | 'sales';
  readonly metric: TargetMetric;
  /** `YYYY-MM` or `YYYY-Qn`, as set. */
  readonly period: string;
  /** '' for a team-wide target. */
  readonly owner: string;
  /** First day of the period, `YYYY-MM-DD`. */
  readonly period_start: string;
  /** First day after the period, `YYYY-MM-DD` (exclusive). */
  readonly period_end: string;
  /** Exact decimal string. */
  readonly value: string;
  readonly event_id: string;
  readonly global_position: string;
  readonly recorded_at: string;
}

export type PlanningFactOutcome =
  | { readonly kind: 'campaign_spend'; readonly row: CampaignSpendRow }
  | { readonly kind: 'target'; readonly row: TargetRow }
  | { readonly kind: 'skip'; readonly eventId: string; readonly reason: string }
  | { readonly kind: 'invalid'; readonly eventId: string; readonly reason: string };

const uuidPattern = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
// Decimal(38, 4): at most 34 integer digits and 4 fractional digits.
const decimalPattern = /^-?\d{1,34}(\.\d{1,4})?$/;
const datePattern = /^(\d{4})-(\d{2})-(\d{2})$/;
const monthPeriod = /^(\d{4})-(0[1-9]|1[0-2])$/;
const quarterPeriod = /^(\d{4})-Q([1-4])$/;

/** A JSON number as the exact decimal string it denotes, or null when it is not one. */
export function decimalText(value: number): string | null {
  if (!Number.isFinite(value)) return null;
  // String() gives the shortest round-trip text, e.g. 3000.5 -> "3000.5"; exponent forms
  // (1e21, 1e-7) are rejected by the pattern instead of being guessed at.
  const text = String(value);
  return decimalPattern.test(text) ? text : null;
}

const isoDate = (year: number, month: number): string =>
  `${String(year).padStart(4, '0')}-${String(month).padStart(2, '0')}-01`;

/** `YYYY-MM` / `YYYY-Qn` -> [start, end) as `YYYY-MM-DD`; null for anything else. */
export function periodRange(period: string): { start: string; end: string } | null {
  const month = monthPeriod.exec(period);
  if (month !== null) {
    const year = Number(month[1]);
    const m = Number(month[2]);
    return {
      start: isoDate(year, m),
      end: m === 12 ? isoDate(year + 1, 1) : isoDate(year, m + 1),
    };
  }
  const quarter = quarterPeriod.exec(period);
  if (quarter !== null) {
    const year = Number(quarter[1]);
    const q = Number(quarter[2]);
    return {
      start: isoDate(year, 3 * q - 2),
      end: q === 4 ? isoDate(year + 1, 1) : isoDate(year, 3 * q + 1),
    };
  }
  return null;
}

function isCalendarDate(text: string): boolean {
  const match = datePattern.exec(text);
  if (match === null) return false;
  const [year, month, day] = [Number(match[1]), Number(match[2]), Number(match[3])];
  const date = new Date(Date.UTC(year, month - 1, day));
  return (
    year >= 1900 &&
    year <= 2299 &&
    date.getUTCFullYear() === year &&
    date.getUTCMonth() === month - 1 &&
    date.getUTCDate() === day
  );
}

/** The campaign_spend or targets row for a planning envelope, or why there is none. */
export function toPlanningFactRow(envelope: AnyEnvelope): PlanningFactOutcome {
  const { eventId } = envelope;
  if (envelope.type !== 'CampaignSpendRecorded' && envelope.type !== 'TargetSet') {
    return { kind: 'skip', eventId, reason: `${envelope.type} is not a planning fact` };
  }
  const invalid = (reason: string): PlanningFactOutcome => ({ kind: 'invalid', eventId, reason });
  if (!uuidPattern.test(eventId)) return invalid('eventId is not a UUID');
  if (!isValidGlobalPosition(envelope.globalPosition)) {
    return invalid('globalPosition is not a UInt64 decimal string');
  }
  const recordedAt = toClickHouseDateTime(envelope.recordedAt);
  if (recordedAt === null) return invalid('recordedAt is not an ISO-8601 UTC-offset timestamp');
  const common = {
    event_id: eventId.toLowerCase(),
    global_position: envelope.globalPosition,
    recorded_at: recordedAt,
  };

  if (envelope.type === 'CampaignSpendRecorded') {
    const { campaign, channel, amount, currency, spentOn } = envelope.data;
    const exact = decimalText(amount);
    if (exact === null) return invalid('amount does not fit Decimal(38, 4)');
    if (!isCalendarDate(spentOn)) return invalid('spentOn is not a YYYY-MM-DD date');
    if (currency === '') return invalid('currency is missing');
    return {
      kind: 'campaign_spend',
      row: { ...common, campaign, channel, amount: exact, currency, spent_on: spentOn },
    };
  }

  const { team, metric, period, value, owner } = envelope.data;
  const exact = decimalText(value);
  if (exact === null) return invalid('value does not fit Decimal(38, 4)');
  const range = periodRange(period);
  if (range === null) return invalid('period is not YYYY-MM or YYYY-Qn');
  return {
    kind: 'target',
    row: {
      team,
      metric,
      period,
      owner: owner ?? '',
      period_start: range.start,
      period_end: range.end,
      value: exact,
      ...common,
    },
  };
}
