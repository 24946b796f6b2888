import { csvColumns, csvField, toCsv } from './csv';

describe('csvField (RFC 4180)', () => {
  it.each([
    ['plain', 'plain'],
    ['a,b', '"a,b"'],
    ['say "hi"', '"say ""hi"""'],
    ['two\nlines', '"two\nlines"'],
    ['cr\r', '"cr\r"'],
    ['', ''],
  ])('%j → %j', (value, expected) => {
    expect(csvField(value)).toBe(expected);
  });

  it('writes numbers, booleans, null and undefined', () => {
    expect([0.25, 0, true, false, null, undefined].map(csvField)).toEqual([
      '0.25',
      '0',
      'true',
      'false',
      '',
      '',
    ]);
  });
});

describe('toCsv', () => {
  it('writes a header and CRLF-terminated records in column order', () => {
    const rows = [
      { b: 2, a: 'x,y' },
      { b: null, a: 'z' },
    ];
    expect(toCsv(['a', 'b'], rows)).toBe('a,b\r\n"x,y",2\r\nz,\r\n');
  });

  it('flattens maps to one sorted column per key over all header rows', () => {
    const rows = [
      { channel: 'web', wonRevenue: { USD: '10.5' } },
      { channel: 'fair', wonRevenue: { EUR: '28000', USD: '1' } },
      { channel: 'ads', wonRevenue: {} },
    ];
    expect(toCsv(['channel', 'wonRevenue'], rows)).toBe(
      'channel,wonRevenue.EUR,wonRevenue.USD\r\nweb,,10.5\r\nfair,28000,1\r\nads,,\r\n',
    );
  });

  it('builds the header from all rows even when the body is one page', () => {
    const all = [
      { id: 1, reasons: { no_budget: 2 } },
      { id: 2, reasons: { not_icp: 1 } },
    ];
    expect(toCsv(['id', 'reasons'], all.slice(1), all)).toBe(
      'id,reasons.no_budget,reasons.not_icp\r\n2,,1\r\n',
    );
  });

  it('writes only the header for no rows', () => {
    expect(toCsv(['a', 'b'], [])).toBe('a,b\r\n');
  });

  it('quotes map keys that need it', () => {
    expect(csvColumns(['m'], [{ m: { 'a,b': 1 } }]).map((column) => column.header)).toEqual([
      'm.a,b',
    ]);
    expect(toCsv(['m'], [{ m: { 'a,b': 1 } }])).toBe('"m.a,b"\r\n1\r\n');
  });
});
