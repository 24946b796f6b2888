import type { SharedTotals } from '../analytics.rows';
import { correctLensTotals, parseLensTotalsChanges, type LensTotals } from './lens-totals';

const totals = (count: number, wonRevenue: Record<string, string>): SharedTotals => ({
  handedToSales: count,
  accepted: count,
  rejected: 0,
  opportunities: count,
  won: count,
  wonRevenue,
});

const row = (lens: string, side: string, count: number, won_revenue: Record<string, string>) => ({
  lens,
  side,
  handed_to_sales: String(count),
  accepted: count,
  rejected: '0',
  opportunities: count,
  won: count,
  won_revenue,
});

describe('correctLensTotals', () => {
  const whole: LensTotals = {
    marketing: totals(10, { EUR: '100.5', USD: '7' }),
    sales: totals(10, { EUR: '100.5', USD: '7' }),
  };

  it('takes the changed leads out and puts them back, per lens, rows summed', () => {
    const changes = parseLensTotalsChanges([
      row('marketing', 'taken_out', 1, { EUR: '0.5' }),
      row('marketing', 'put_back', 1, { EUR: '2' }),
      row('marketing', 'put_back', 2, { CHF: '3.25' }),
      row('sales', 'taken_out', 1, { EUR: '0.5' }),
      row('sales', 'put_back', 1, { EUR: '2' }),
    ]);
    expect(correctLensTotals(whole, changes)).toEqual({
      marketing: totals(12, { CHF: '3.25', EUR: '102', USD: '7' }),
      sales: totals(10, { EUR: '102', USD: '7' }),
    });
  });

  it('gives the whole sums when nothing changed', () => {
    expect(correctLensTotals(whole, parseLensTotalsChanges([]))).toEqual(whole);
  });

  it('cannot tell a currency netting to zero from none: null', () => {
    const changes = parseLensTotalsChanges([row('sales', 'taken_out', 1, { USD: '7' })]);
    expect(correctLensTotals(whole, changes)).toBeNull();
  });

  it('refuses rows of an unknown lens or side', () => {
    expect(() => parseLensTotalsChanges([row('account', 'put_back', 1, {})])).toThrow();
    expect(() => parseLensTotalsChanges([row('sales', 'both', 1, {})])).toThrow();
  });
});
