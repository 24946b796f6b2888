import { filterRows } from './row-filter';

const rows = [
  { channel: 'web', campaign: 'spring', leads: 2 },
  { channel: 'web', campaign: 'autumn', leads: 1 },
  { channel: 'trade_fair', campaign: 'spring', leads: 4 },
];

describe('filterRows', () => {
  it('keeps every row without criteria, as a copy', () => {
    const result = filterRows(rows, {});
    expect(result).toEqual(rows);
    expect(result).not.toBe(rows);
  });

  it('ignores absent criteria', () => {
    expect(filterRows(rows, { channel: undefined })).toEqual(rows);
  });

  it('matches exactly and combines criteria with AND', () => {
    expect(filterRows(rows, { channel: 'web' })).toEqual(rows.slice(0, 2));
    expect(filterRows(rows, { channel: 'web', campaign: 'spring' })).toEqual([rows[0]]);
    expect(filterRows(rows, { channel: 'Web' })).toEqual([]);
    expect(filterRows(rows, { campaign: 'spr' })).toEqual([]);
  });
});
