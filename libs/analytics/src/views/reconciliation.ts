/**
 * Reconciliation: do marketing and sales see the same funnel? Three independent witnesses of
 * the totals both lenses share: the marketing lens summed over its rows, the sales lens summed
 * over its rows, and the totals counted straight from lead_events. Pure functions over rows
 * already read; comparing is exact (integers, decimal strings), never approximate.
 *
 * It must never "fix" a disagreement (pick a winner, round it away): a mismatch is the finding.
 */
import { decimalsEqual, normalizeDecimal, sumDecimals } from './exact-decimal';
import type { MoneyByCurrency, SharedTotals } from './analytics.rows';

export interface ReconciliationCheck {
  /** `handed_to_sales`, `accepted`, `rejected`, `opportunities`, `won`, `won_revenue:<CUR>`. */
  readonly metric: string;
  /** Values as exact decimal strings (counts are integers). */
  readonly marketing: string;
  readonly sales: string;
  readonly events: string;
  readonly ok: boolean;
}

export interface Reconciliation {
  readonly ok: boolean;
  readonly checks: readonly ReconciliationCheck[];
}

/** Sums the shared columns of lens rows (either lens) into one set of totals. */
export function sumLensRows(rows: readonly SharedTotals[]): SharedTotals {
  const revenue = new Map<string, string[]>();
  for (const row of rows) {
    for (const [currency, amount] of Object.entries(row.wonRevenue)) {
      revenue.set(currency, [...(revenue.get(currency) ?? []), amount]);
    }
  }
  const total = (pick: (row: SharedTotals) => number): number =>
    rows.reduce((sum, row) => sum + pick(row), 0);
  return {
    handedToSales: total((row) => row.handedToSales),
    accepted: total((row) => row.accepted),
    rejected: total((row) => row.rejected),
    opportunities: total((row) => row.opportunities),
    won: total((row) => row.won),
    wonRevenue: Object.fromEntries(
      [...revenue].map(([currency, amounts]) => [currency, sumDecimals(amounts)]),
    ),
  };
}

const countMetrics = [
  ['handed_to_sales', (totals: SharedTotals) => totals.handedToSales],
  ['accepted', (totals: SharedTotals) => totals.accepted],
  ['rejected', (totals: SharedTotals) => totals.rejected],
  ['opportunities', (totals: SharedTotals) => totals.opportunities],
  ['won', (totals: SharedTotals) => totals.won],
] as const;

const amountIn = (money: MoneyByCurrency, currency: string): string =>
  normalizeDecimal(money[currency] ?? '0');

/** One check per shared metric (revenue per currency seen by any witness), in a fixed order. */
export function reconcileTotals(
  marketing: SharedTotals,
  sales: SharedTotals,
  events: SharedTotals,
): Reconciliation {
  const checks: ReconciliationCheck[] = countMetrics.map(([metric, pick]) => {
    const values = [pick(marketing), pick(sales), pick(events)] as const;
    return {
      metric,
      marketing: String(values[0]),
      sales: String(values[1]),
      events: String(values[2]),
      ok: values[0] === values[1] && values[1] === values[2],
    };
  });
  const currencies = [
    ...new Set([marketing, sales, events].flatMap((totals) => Object.keys(totals.wonRevenue))),
  ].sort();
  for (const currency of currencies) {
    const [m, s, e] = [marketing, sales, events].map((totals) =>
      amountIn(totals.wonRevenue, currency),
    ) as [string, string, string];
    checks.push({
      metric: `won_revenue:${currency}`,
      marketing: m,
      sales: s,
      events: e,
      ok: decimalsEqual(m, s) && decimalsEqual(s, e),
    });
  }
  return { ok: checks.every((check) => check.ok), checks };
}
