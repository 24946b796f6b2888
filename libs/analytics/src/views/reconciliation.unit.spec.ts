import type { MarketingLensRow, SalesLensRow, SharedTotals } from './analytics.rows';
import { reconcileTotals, sumLensRows } from './reconciliation';
import {
  expectedMarketingLens,
  expectedReconciliation,
  expectedSalesLens,
} from '../testing/funnel-scenario.fixture';

const events: SharedTotals = {
  handedToSales: 7,
  accepted: 6,
  rejected: 2,
  opportunities: 5,
  won: 3,
  wonRevenue: { USD: '3000.5', EUR: '14500.0000' },
};

describe('sumLensRows', () => {
  it('adds counts and per-currency revenue exactly', () => {
    expect(sumLensRows(expectedMarketingLens)).toEqual({
      ...events,
      wonRevenue: {
        USD: '3000.5',
        EUR: '14500',
      },
    });
    expect(sumLensRows([])).toEqual({
      handedToSales: 0,
      accepted: 0,
      rejected: 0,
      opportunities: 0,
      won: 0,
      wonRevenue: {},
    });
  });
});

describe('reconcileTotals', () => {
  it('agrees when all three witnesses agree, checks in a fixed order', () => {
    expect(
      reconcileTotals(sumLensRows(expectedMarketingLens), sumLensRows(expectedSalesLens), events),
    ).toEqual(expectedReconciliation);
  });

  it('names the metric where one lens disagrees', () => {
    const [first, ...rest] = expectedSalesLens as [SalesLensRow, ...SalesLensRow[]];
    const sales = sumLensRows([{ ...first, accepted: first.accepted - 1 }, ...rest]);

    const result = reconcileTotals(sumLensRows(expectedMarketingLens), sales, events);

    expect(result.ok).toBe(false);
    expect(result.checks.filter((check) => !check.ok)).toEqual([
      { metric: 'accepted', marketing: '6', sales: '5', events: '6', ok: false },
    ]);
  });

  it('checks a currency that only one witness has', () => {
    const [first, ...rest] = expectedMarketingLens as [MarketingLensRow, ...MarketingLensRow[]];
    const marketing = sumLensRows([
      { ...first, wonRevenue: { ...first.wonRevenue, GBP: '1' } },
      ...rest,
    ]);

    const result = reconcileTotals(marketing, sumLensRows(expectedSalesLens), events);

    expect(result.checks.filter((check) => !check.ok)).toEqual([
      { metric: 'won_revenue:GBP', marketing: '1', sales: '0', events: '0', ok: false },
    ]);
  });
});
