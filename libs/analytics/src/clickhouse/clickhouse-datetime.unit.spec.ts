import { toClickHouseDateTime } from './clickhouse-datetime';

describe('toClickHouseDateTime', () => {
  it('converts ISO-8601 with a zone to UTC DateTime64(3) text', () => {
    expect(toClickHouseDateTime('2025-03-30T01:59:59.9999-02:30')).toBe('2025-03-30 04:29:59.999');
    expect(toClickHouseDateTime('2025-01-06T10:00Z')).toBe('2025-01-06 10:00:00.000');
  });

  it('refuses timestamps without a zone, whose meaning depends on the machine', () => {
    expect(toClickHouseDateTime('2025-01-06T10:00:00')).toBeNull();
    expect(toClickHouseDateTime('January 6, 2025')).toBeNull();
  });

  // The canonical form (toISOString's) is converted by slicing: it must agree with parsing
  // the date, on every calendar edge and at both ends of DateTime64(3)'s range.
  it.each([
    '2024-02-29T23:59:59.999Z',
    '2025-02-29T00:00:00.000Z',
    '2025-04-31T12:00:00.000Z',
    '2025-12-31T23:59:59.999Z',
    '2025-13-01T00:00:00.000Z',
    '2025-01-00T00:00:00.000Z',
    '2025-01-01T24:00:00.000Z',
    '2025-01-01T23:60:00.000Z',
    '2025-01-01T23:59:60.000Z',
    '1899-12-31T23:59:59.999Z',
    '1900-01-01T00:00:00.000Z',
    '2299-12-31T23:59:59.999Z',
    '2300-01-01T00:00:00.000Z',
    '2000-02-29T08:30:00.123Z',
    '1900-02-29T08:30:00.123Z',
  ])('converts %s as parsing it would', (iso) => {
    const time = Date.parse(iso);
    const parsed =
      Number.isNaN(time) || time < Date.UTC(1900, 0, 1) || time >= Date.UTC(2300, 0, 1)
        ? null
        : new Date(time).toISOString().replace('T', ' ').replace('Z', '');
    expect(toClickHouseDateTime(iso)).toBe(parsed);
  });
});
