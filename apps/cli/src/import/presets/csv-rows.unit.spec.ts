import { leadCommandBodies } from '@tandem/contracts';
import { COUNTRY_CODES } from '@tandem/domain';
import {
  country,
  time,
  timeRefusal,
  unreadableCountry,
  unreadableNumber,
  unreadableTime,
  unreadableYesNo,
} from './csv-rows';

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
    expect(country('QZ')).toBeUndefined();
  });

  it('reads Kosovo (XK), the one user-assigned code the API takes too', () => {
    expect(country('Kosovo')).toBe('XK');
    expect(country('xk')).toBe('XK');
  });

  it('reads every code the API takes, and reads nothing to a code the API refuses', () => {
    for (const code of COUNTRY_CODES) expect(country(code)).toBe(code);
    // Every pair of letters, and every English name the runtime gives one.
    const names = new Intl.DisplayNames(['en'], { type: 'region', fallback: 'none' });
    const letters = [...'ABCDEFGHIJKLMNOPQRSTUVWXYZ'];
    const cells = letters.flatMap((first) =>
      letters.flatMap((second) => [first + second, names.of(first + second) ?? first + second]),
    );
    const refusedByTheApi = cells
      .map((cell) => ({ cell, code: country(cell) }))
      .filter(({ code }) => code !== undefined)
      .filter(({ code }) => !leadCommandBodies.ProfileLead.safeParse({ country: code }).success);
    expect(refusedByTheApi).toEqual([]);
  });
});

describe('unreadable cells: the first a preset cannot read, as the refusal reason', () => {
  const row = { when: '2025-02-30', size: '1,200', optout: 'ja', land: 'Atlantis', empty: ' ' };

  it('names the column and its cell; empty cells and readable ones pass', () => {
    expect(unreadableTime(row, ['empty', 'when'])).toBe('when "2025-02-30" is not a date');
    expect(unreadableNumber(row, ['size'])).toBe('size "1,200" is not a number');
    expect(unreadableYesNo(row, ['optout'])).toBe('optout "ja" is not a yes/no value');
    expect(unreadableCountry(row, ['land'])).toBe(
      'land "Atlantis" is not a country: an ISO 3166-1 alpha-2 code or its English name',
    );
    const readable = { when: '2025-02-28', size: '1200', optout: 'No', land: 'Italy' };
    expect(unreadableTime(readable, ['when', 'absent'])).toBeNull();
    expect(unreadableNumber(readable, ['size', 'empty'])).toBeNull();
    expect(unreadableYesNo(readable, ['optout'])).toBeNull();
    expect(unreadableCountry(readable, ['land'])).toBeNull();
  });

  it('a number of more digits than a number keeps is unreadable, not rounded', () => {
    // Number() read both as the nearest double: an amount of 1, a head count of 2^53.
    const long = { amount: '1.00000000000000001', size: '9007199254740993', exact: '25500.50' };
    expect(unreadableNumber(long, ['amount'])).toBe('amount "1.00000000000000001" is not a number');
    expect(unreadableNumber(long, ['size'])).toBe('size "9007199254740993" is not a number');
    expect(unreadableNumber(long, ['exact'])).toBeNull();
  });
});

describe('time: a CRM export cell to an ISO-8601 business time', () => {
  it('says what is wrong with a time it does not take: not a date, out of range, or ahead of the clock', () => {
    const when = jest.spyOn(Date, 'now').mockReturnValue(Date.parse('2025-01-02T12:00:00Z'));
    try {
      const cells = {
        day: '2025-02-30',
        placeholder: '9999-12-31',
        local: '2025-01-02 13:00',
        zoned: '2025-01-03T00:00:00+01:00',
        skew: '2025-01-02 12:04',
      };
      expect(unreadableTime(cells, ['day'])).toBe('day "2025-02-30" is not a date');
      expect(unreadableTime(cells, ['placeholder'])).toBe(
        'placeholder "9999-12-31" is not a date from 1900 to 2299',
      );
      // A local time of a zone ahead of UTC, exported without its zone and read as UTC.
      expect(unreadableTime(cells, ['local'])).toBe(
        'local "2025-01-02 13:00" is in the future: after 2025-01-02T12:00:00Z, this import\'s clock; ' +
          'times without a zone are read as UTC (local times of a zone ahead of UTC?)',
      );
      expect(unreadableTime(cells, ['zoned'])).toBe(
        'zoned "2025-01-03T00:00:00+01:00" is in the future: after 2025-01-02T12:00:00Z, ' +
          "this import's clock; a fact cannot be recorded before it happened",
      );
      // A few minutes of skew are taken, as the API takes them.
      expect(unreadableTime(cells, ['skew'])).toBeNull();
      expect(timeRefusal('createdate', undefined)).toBe('createdate "" is not a date');
    } finally {
      when.mockRestore();
    }
  });

  it.each(['1899-12-31 23:59', '2300-01-01', '9999-12-31', '2099-01-01'])(
    '%j is not one: before 1900, from 2300, or in the future, as in the canonical format',
    (cell) => {
      expect(time(cell)).toBeNull();
    },
  );

  it.each([
    ['1900-01-01', '1900-01-01T00:00:00.000Z'],
    ['2025-03-01 10:00+0100', '2025-03-01T09:00:00.000Z'],
  ])('%j is %s', (cell, iso) => {
    expect(time(cell)).toBe(iso);
  });
});
