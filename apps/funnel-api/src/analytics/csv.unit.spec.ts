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
    expect([0.25, 0, true, false, null, undefined].map((value) => csvField(value))).toEqual([
      '0.25',
      '0',
      'true',
      'false',
      '',
      '',
    ]);
  });
});

describe('csvField against CSV injection (OWASP)', () => {
  it.each([
    ['=1+1', `"'=1+1"`],
    ['+1', `"'+1"`],
    ['-1', `"'-1"`],
    ['@SUM(A1)', `"'@SUM(A1)"`],
    ['\tcmd', `"'\tcmd"`],
    ['\rcmd', `"'\rcmd"`],
    ['=HYPERLINK("http://x")', `"'=HYPERLINK(""http://x"")"`],
    ["-2+3+cmd|' /C calc'!A0", `"'-2+3+cmd|' /C calc'!A0"`],
    ['=a,b', `"'=a,b"`],
  ])('text %j → %j', (value, expected) => {
    expect(csvField(value)).toBe(expected);
    expect(csvField(value, 'text')).toBe(expected);
  });

  it.each([['a=b'], ['x-1'], ['mail@example.com'], [' =1'], ["'=1"]])(
    'leaves %j alone: the prefix is not first',
    (value) => {
      expect(csvField(value)).toBe(value);
    },
  );

  it('decides by column, not by look: a text cell that looks numeric is still text', () => {
    expect(csvField('-12.5', 'text')).toBe(`"'-12.5"`);
    expect(csvField(-12.5, 'text')).toBe(`"'-12.5"`);
  });

  it.each([
    [-12.5, '-12.5'],
    ['-12.5', '-12.5'],
    ['-3', '-3'],
    [-0.25, '-0.25'],
    [42, '42'],
    ['28000.00', '28000.00'],
    [null, ''],
  ])('number column %j → %j (stays a number)', (value, expected) => {
    expect(csvField(value, 'number')).toBe(expected);
  });

  it.each([
    ['=1+1', `"'=1+1"`],
    ['-1+cmd', `"'-1+cmd"`],
    ['@x', `"'@x"`],
    ['-1e3', `"'-1e3"`],
  ])('number column refuses a non-decimal string %j → %j', (value, expected) => {
    expect(csvField(value, 'number')).toBe(expected);
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

  it('neutralises text columns and keeps numeric columns (and their map keys) numeric', () => {
    const rows = [
      { campaign: '=cmd()', owner: '@me', revenue: { EUR: '-12.5' }, rate: -0.5, leads: -1 },
      { campaign: '-12.5', owner: '+x', revenue: { USD: '7' }, rate: null, leads: 3 },
    ];
    expect(
      toCsv(['campaign', 'owner', 'revenue', 'rate', 'leads'], rows, rows, [
        'revenue',
        'rate',
        'leads',
      ]),
    ).toBe(
      'campaign,owner,revenue.EUR,revenue.USD,rate,leads\r\n' +
        `"'=cmd()","'@me",-12.5,,-0.5,-1\r\n` +
        `"'-12.5","'+x",,7,,3\r\n`,
    );
  });

  it('treats every column as text unless told it is numeric', () => {
    expect(toCsv(['n'], [{ n: -1 }])).toBe(`n\r\n"'-1"\r\n`);
  });
});
