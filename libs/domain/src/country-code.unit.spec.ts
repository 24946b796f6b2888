import { COUNTRY_CODES, isCountryCode } from './country-code';

describe('COUNTRY_CODES: the countries a new fact may name', () => {
  it('lists the 249 assigned ISO 3166-1 codes and XK, each once, in order', () => {
    expect(COUNTRY_CODES).toHaveLength(250);
    expect([...COUNTRY_CODES].sort()).toEqual(COUNTRY_CODES);
    expect(new Set(COUNTRY_CODES).size).toBe(COUNTRY_CODES.length);
  });

  it('every code is a region the runtime names (a typo in the list would not be)', () => {
    const names = new Intl.DisplayNames(['en'], { type: 'region', fallback: 'none' });
    const unnamed = COUNTRY_CODES.filter((code) => names.of(code) === undefined);
    expect(unnamed).toEqual([]);
    expect(names.of('XK')).toBe('Kosovo');
  });

  it.each(['IT', 'US', 'GB', 'XK', 'SS', 'BQ'])('%s is one', (code) => {
    expect(isCountryCode(code)).toBe(true);
  });

  it.each([
    // User-assigned: no agreed meaning.
    'ZZ',
    'AA',
    'QM',
    'XA',
    // Exceptionally or transitionally reserved, or withdrawn: names the runtime still knows.
    'EU',
    'UK',
    'UN',
    'YU',
    'SU',
    'AN',
    // Not upper case, or not two letters: the stored form is exactly the code.
    'it',
    'ITA',
    '',
  ])('%j is not', (code) => {
    expect(isCountryCode(code)).toBe(false);
  });
});
