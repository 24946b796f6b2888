import { country } from './csv-rows';

describe('country: a CRM export cell to its ISO 3166-1 alpha-2 code', () => {
  it.each([
    ['IT', 'IT'],
    ['it', 'IT'],
    ['Italy', 'IT'],
    [' united STATES ', 'US'],
    ['USA', 'US'],
    ['U.S.A.', 'US'],
    ['U.S.', 'US'],
    ['United States of America', 'US'],
    ['UK', 'GB'],
    ['U.K.', 'GB'],
    ['England', 'GB'],
    ['Turkey', 'TR'],
    ['Türkiye', 'TR'],
    ['Czech Republic', 'CZ'],
    ['Czechia', 'CZ'],
    ['Holland', 'NL'],
    ['Korea, Republic of', 'KR'],
    ['South Korea', 'KR'],
    ['Russian Federation', 'RU'],
    ['Viet Nam', 'VN'],
    ["Cote d'Ivoire", 'CI'],
    ['Côte d’Ivoire', 'CI'],
    ['Virgin Islands, U.S.', 'VI'],
    ['Hong Kong', 'HK'],
  ])('%j is %s', (cell, code) => {
    expect(country(cell)).toBe(code);
  });

  it('an empty cell is no country; a name it cannot read is undefined (the lead is refused)', () => {
    expect(country('')).toBeNull();
    expect(country('   ')).toBeNull();
    expect(country('Atlantis')).toBeUndefined();
    expect(country('ZZ')).toBeUndefined();
    expect(country('EU')).toBeUndefined();
  });
});
