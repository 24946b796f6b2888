/**
 * The reconciliation's two lens witnesses (the marketing and the sales lens, each summed over
 * its rows) read as the views answer them, without grouping every lead of a snapshot of the
 * per-lead funnel on every check (~145 ms of a ~250 ms check at 10M events; docs/performance.md,
 * "Reconciliation's lens witnesses from the snapshot's sums").
 *
 * Every column the check sums is a sum over the lens row's leads, so the lenses summed over
 * "now" (the snapshot without the changed leads, and those leads from the state) are: both
 * lenses summed over the whole snapshot (computed once per snapshot by the views' own
 * statements, then kept in the process: a snapshot's rows never change once it is marked), minus
 * the same over the changed leads' snapshot rows, plus the same over their rows now
 * (lens-totals.changes.sql, one statement). Pure arithmetic here; AnalyticsQueries reads.
 *
 * One thing the sums cannot tell: whether a currency whose amounts net to zero still has a won
 * lead (the views' map then shows it with 0) or none (no key). correctLensTotals then gives null
 * and the check reads both lenses whole, as before: never a guess.
 *
 * It must never read anything but the views' lens statements over the views' own funnel, and
 * never keep a sum of anything but a marked snapshot.
 */
import { z } from 'zod';
import {
  sharedTotalsColumns,
  toSharedTotals,
  type MoneyByCurrency,
  type SharedTotals,
} from '../analytics.rows';
import { sumLensRows } from '../reconciliation';
import { sumDecimals } from '../exact-decimal';

/** Both lens witnesses, each its rows summed (sumLensRows). */
export interface LensTotals {
  readonly marketing: SharedTotals;
  readonly sales: SharedTotals;
}

const lenses = ['marketing', 'sales'] as const;
const sides = ['taken_out', 'put_back'] as const;
type Lens = (typeof lenses)[number];
type Side = (typeof sides)[number];

const changesRow = z
  .object({ lens: z.enum(lenses), side: z.enum(sides), ...sharedTotalsColumns })
  .transform((row) => ({ lens: row.lens, side: row.side, totals: toSharedTotals(row) }));

/** lens-totals.changes.sql's rows, summed per lens and side. */
export type LensTotalsChanges = Readonly<Record<Lens, Readonly<Record<Side, SharedTotals>>>>;

export function parseLensTotalsChanges(rows: unknown): LensTotalsChanges {
  const parsed = z.array(changesRow).parse(rows);
  const summed = (lens: Lens, side: Side) =>
    sumLensRows(
      parsed.filter((row) => row.lens === lens && row.side === side).map((row) => row.totals),
    );
  return {
    marketing: {
      taken_out: summed('marketing', 'taken_out'),
      put_back: summed('marketing', 'put_back'),
    },
    sales: { taken_out: summed('sales', 'taken_out'), put_back: summed('sales', 'put_back') },
  };
}

const negate = (amount: string) => (amount.startsWith('-') ? amount.slice(1) : `-${amount}`);

/** whole − takenOut + putBack, or null when a currency's amounts net to zero (see above). */
function corrected(
  whole: SharedTotals,
  takenOut: SharedTotals,
  putBack: SharedTotals,
): SharedTotals | null {
  const currencies = [
    ...new Set([whole, takenOut, putBack].flatMap((totals) => Object.keys(totals.wonRevenue))),
  ].sort();
  const wonRevenue: Record<string, string> = {};
  for (const currency of currencies) {
    const amount = sumDecimals([
      whole.wonRevenue[currency] ?? '0',
      negate(takenOut.wonRevenue[currency] ?? '0'),
      putBack.wonRevenue[currency] ?? '0',
    ]);
    if (amount === '0') return null;
    wonRevenue[currency] = amount;
  }
  const count = (pick: (totals: SharedTotals) => number) =>
    pick(whole) - pick(takenOut) + pick(putBack);
  return {
    handedToSales: count((totals) => totals.handedToSales),
    accepted: count((totals) => totals.accepted),
    rejected: count((totals) => totals.rejected),
    opportunities: count((totals) => totals.opportunities),
    won: count((totals) => totals.won),
    wonRevenue: wonRevenue satisfies MoneyByCurrency,
  };
}

/**
 * The lenses summed over "now" from their sums over the whole snapshot and the changed leads'
 * correction; null when the sums cannot say which currencies the views show (a currency netting
 * to zero): then read both lenses whole.
 */
export function correctLensTotals(
  whole: LensTotals,
  changes: LensTotalsChanges,
): LensTotals | null {
  const marketing = corrected(
    whole.marketing,
    changes.marketing.taken_out,
    changes.marketing.put_back,
  );
  const sales = corrected(whole.sales, changes.sales.taken_out, changes.sales.put_back);
  return marketing === null || sales === null ? null : { marketing, sales };
}
