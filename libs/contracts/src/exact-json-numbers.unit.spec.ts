import {
  inexactJsonNumberOf,
  inexactNumberMessage,
  mayHoldInexactNumber,
} from './exact-json-numbers';

describe('inexactJsonNumberOf', () => {
  it('names a number JSON.parse would round, with its path and the text sent', () => {
    expect(
      inexactJsonNumberOf('{"budget":{"amount":1.00000000000000001,"currency":"EUR"}}'),
    ).toEqual({
      field: 'budget.amount',
      sent: '1.00000000000000001',
      read: 1,
    });
    expect(inexactJsonNumberOf('{"amount":0.123400000000000001}')).toMatchObject({
      field: 'amount',
      read: 0.1234,
    });
    expect(inexactJsonNumberOf('{"expectedRevision":9007199254740993}')).toEqual({
      field: 'expectedRevision',
      sent: '9007199254740993',
      read: 9007199254740992,
    });
    expect(inexactJsonNumberOf('{"items":[1,2,1e400]}')).toMatchObject({ field: 'items.2' });
    expect(inexactJsonNumberOf('{"a":1e-400}')).toMatchObject({ sent: '1e-400', read: 0 });
    expect(inexactJsonNumberOf('12345678901234567890')).toMatchObject({ field: '(body)' });
  });

  it('takes every number read as written: exponents, trailing zeros, -0, long exact ones', () => {
    for (const text of [
      '{"amount":1e3}',
      '{"amount":100.50}',
      '{"amount":1.000000000000000000000}',
      '{"amount":-0}',
      '{"amount":0.1}',
      '{"amount":999999999999.9999}',
      '{"revision":9007199254740992}',
      '{"tiny":0.0000000000000001}',
      '{"big":1E+021}',
    ]) {
      expect([text, inexactJsonNumberOf(text)]).toEqual([text, null]);
    }
  });

  it('looks no further when the cheap test finds nothing long, and leaves strings alone', () => {
    expect(mayHoldInexactNumber('{"amount":12345.6789,"when":"2026-12-01T10:00:00.000Z"}')).toBe(
      false,
    );
    expect(mayHoldInexactNumber('{"e":1e100}')).toBe(true);
    // A long run of digits in a string is looked at, and is no number.
    expect(inexactJsonNumberOf('{"phone":"00390612345678901234"}')).toBeNull();
  });

  it('leaves text that is not JSON to the parse that names it', () => {
    expect(inexactJsonNumberOf('{"amount":1.00000000000000001')).toBeNull();
  });

  it('says what was sent and what it would be read as', () => {
    expect(inexactNumberMessage({ field: 'amount', sent: '1.00000000000000001', read: 1 })).toBe(
      'must be a number read exactly as sent: 1.00000000000000001 would be read as 1',
    );
  });
});
