import { z } from 'zod';
import { marketingLensRow } from './analytics.rows';
import { declareRow, numeric, text, type RowOf } from './row-columns';

const row = declareRow({
  owner: text(z.string()),
  handed_to_sales: numeric(z.number()),
  win_rate: numeric(z.number().nullable()),
});

describe('declareRow', () => {
  it('parses snake_case columns into the camelCase row', () => {
    const parsed: RowOf<typeof row.declared>[] = row.parse([
      { owner: 'ann', handed_to_sales: 3, win_rate: null },
    ]);
    expect(parsed).toEqual([{ owner: 'ann', handedToSales: 3, winRate: null }]);
  });

  it('lists the columns in declared order and which are numbers', () => {
    expect(row.columns).toEqual(['owner', 'handedToSales', 'winRate']);
    expect(row.numeric).toEqual(['handedToSales', 'winRate']);
  });

  it('refuses a missing, an extra or a mistyped column', () => {
    expect(() => row.parse([{ owner: 'ann', handed_to_sales: 3 }])).toThrow();
    expect(() => row.parse([{ owner: 'ann', handed_to_sales: 3, win_rate: 1, x: 1 }])).toThrow();
    expect(() => row.parse([{ owner: 'ann', handed_to_sales: '3', win_rate: 1 }])).toThrow();
  });

  it('gives the marketing lens its CSV columns: text first, every other column a number', () => {
    expect(marketingLensRow.columns.slice(0, 3)).toEqual(['channel', 'campaign', 'leads']);
    expect(marketingLensRow.numeric).toEqual(marketingLensRow.columns.slice(2));
  });

  it('gives the JSON Schema of the answered row: camelCase keys in column order, all required', () => {
    expect(row.jsonSchema()).toEqual({
      type: 'object',
      properties: {
        owner: { type: 'string' },
        handedToSales: { type: 'number' },
        winRate: { type: ['number', 'null'] },
      },
      required: ['owner', 'handedToSales', 'winRate'],
      additionalProperties: false,
    });
    // A count is an integer in the answer, whether ClickHouse sent it quoted or not.
    expect(marketingLensRow.jsonSchema()).toMatchObject({
      properties: { leads: { type: 'integer', minimum: 0 } },
    });
  });
});
