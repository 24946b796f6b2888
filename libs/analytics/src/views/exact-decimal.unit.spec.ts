import { decimalsEqual, InvalidDecimalError, normalizeDecimal, sumDecimals } from './exact-decimal';

describe('exact decimals', () => {
  it('adds without floating-point error', () => {
    expect(sumDecimals(['0.1', '0.2'])).toBe('0.3');
    expect(sumDecimals(['12000', '2500', '0.0001'])).toBe('14500.0001');
    expect(sumDecimals(['99999999999999999999.9999', '0.0001'])).toBe('100000000000000000000');
  });

  it('handles negatives, zero and the empty sum', () => {
    expect(sumDecimals(['-1.5', '1.25'])).toBe('-0.25');
    expect(sumDecimals(['-1.5', '1.5'])).toBe('0');
    expect(sumDecimals([])).toBe('0');
  });

  it('normalises like ClickHouse prints decimals', () => {
    expect(normalizeDecimal('3000.5000')).toBe('3000.5');
    expect(normalizeDecimal('12000.0')).toBe('12000');
    expect(normalizeDecimal('-0.000')).toBe('0');
    expect(normalizeDecimal('007.10')).toBe('7.1');
  });

  it('compares by value', () => {
    expect(decimalsEqual('14500', '14500.0000')).toBe(true);
    expect(decimalsEqual('14500', '14500.0001')).toBe(false);
  });

  it('refuses anything that is not a plain decimal', () => {
    for (const value of ['1e3', '', '1.', '.5', 'NaN', '1,5']) {
      expect(() => normalizeDecimal(value)).toThrow(InvalidDecimalError);
    }
  });
});
