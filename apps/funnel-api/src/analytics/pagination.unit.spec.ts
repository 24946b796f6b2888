import { paginate } from './pagination';

const rows = Array.from({ length: 250 }, (_, index) => index);

describe('paginate', () => {
  it('defaults to the first 100 rows', () => {
    const page = paginate(rows);
    expect(page).toMatchObject({ total: 250, limit: 100, offset: 0 });
    expect(page.items).toEqual(rows.slice(0, 100));
  });

  it('returns the requested slice, short at the end, empty past it', () => {
    expect(paginate(rows, 100, 200).items).toEqual(rows.slice(200));
    expect(paginate(rows, 10, 300)).toEqual({ items: [], total: 250, limit: 10, offset: 300 });
  });

  it('refuses limits and offsets the schema would refuse', () => {
    expect(() => paginate(rows, 0)).toThrow(RangeError);
    expect(() => paginate(rows, 1001)).toThrow(RangeError);
    expect(() => paginate(rows, 1.5)).toThrow(RangeError);
    expect(() => paginate(rows, 10, -1)).toThrow(RangeError);
  });
});
