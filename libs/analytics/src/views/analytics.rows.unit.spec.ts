import { parseMarketingLensRows, parseSharedTotals } from './analytics.rows';

const row = {
  channel: 'organic',
  campaign: '',
  leads: 3,
  mqls: '1',
  handed_to_sales: 1,
  sales_sourced: '0',
  accepted: 1,
  rejected: 1,
  sqls: 1,
  opportunities: 1,
  won: 1,
  lost: 0,
  won_revenue: { USD: '3000.5' },
  pipeline: {},
  mql_rate: 0.3333,
  sql_rate: null,
};

describe('row parsing', () => {
  it('accepts counts quoted (ClickHouse server) or not (chDB) and renames to camelCase', () => {
    expect(parseMarketingLensRows([row])).toEqual([
      {
        channel: 'organic',
        campaign: '',
        leads: 3,
        mqls: 1,
        handedToSales: 1,
        salesSourced: 0,
        accepted: 1,
        rejected: 1,
        sqls: 1,
        opportunities: 1,
        won: 1,
        lost: 0,
        wonRevenue: { USD: '3000.5' },
        pipeline: {},
        mqlRate: 0.3333,
        sqlRate: null,
      },
    ]);
  });

  it('fails loudly when a view changes shape', () => {
    const { won_revenue: _dropped, ...withoutRevenue } = row;
    expect(() => parseMarketingLensRows([withoutRevenue])).toThrow();
    expect(() => parseMarketingLensRows([{ ...row, leads: 1.5 }])).toThrow();
    expect(() => parseMarketingLensRows([{ ...row, pipeline: { EUR: 9000 } }])).toThrow();
  });

  it('expects exactly one row of event totals', () => {
    const totals = {
      handed_to_sales: '7',
      accepted: 6,
      rejected: 2,
      opportunities: 5,
      won: 3,
      won_revenue: {},
    };
    expect(parseSharedTotals([totals])).toEqual({
      handedToSales: 7,
      accepted: 6,
      rejected: 2,
      opportunities: 5,
      won: 3,
      wonRevenue: {},
    });
    expect(() => parseSharedTotals([])).toThrow();
  });
});
