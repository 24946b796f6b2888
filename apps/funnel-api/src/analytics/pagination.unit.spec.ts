import { pageLinks, paginate } from './pagination';

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

describe('pageLinks', () => {
  const url = '/analytics/marketing?channel=web&limit=10&offset=10&format=csv';

  it('links first, prev and next, keeping every other parameter', () => {
    expect(pageLinks(url, { total: 35, limit: 10, offset: 10 })).toBe(
      '</analytics/marketing?channel=web&limit=10&offset=0&format=csv>; rel="first", ' +
        '</analytics/marketing?channel=web&limit=10&offset=0&format=csv>; rel="prev", ' +
        '</analytics/marketing?channel=web&limit=10&offset=20&format=csv>; rel="next"',
    );
  });

  it('has no next on the last page and no prev on the first', () => {
    const last = pageLinks(url, { total: 35, limit: 10, offset: 30 });
    expect(last).not.toContain('rel="next"');
    expect(last).toContain('offset=20&format=csv>; rel="prev"');
    const first = pageLinks('/analytics/funnel?limit=10', { total: 35, limit: 10, offset: 0 });
    expect(first).toBe(
      '</analytics/funnel?limit=10&offset=0>; rel="first", ' +
        '</analytics/funnel?limit=10&offset=10>; rel="next"',
    );
  });

  it('adds the default limit to a request that gave none, and never lets prev go below 0', () => {
    expect(pageLinks('/analytics/sales?offset=5', { total: 300, limit: 100, offset: 5 })).toBe(
      '</analytics/sales?offset=0&limit=100>; rel="first", ' +
        '</analytics/sales?offset=0&limit=100>; rel="prev", ' +
        '</analytics/sales?offset=105&limit=100>; rel="next"',
    );
  });
});
