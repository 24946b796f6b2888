import { duplicateJsonKeyOf } from './unique-json-keys';

describe('duplicateJsonKeyOf', () => {
  it('names a key sent twice in one object, by its path', () => {
    expect(duplicateJsonKeyOf('{"amount": 1, "amount": 1000}')).toEqual({ field: 'amount' });
    expect(
      duplicateJsonKeyOf('{"data":{"budget":{"amount":1,"currency":"EUR","amount":1000}}}'),
    ).toEqual({ field: 'data.budget.amount' });
    expect(duplicateJsonKeyOf('{"items":[{"a":1},{"b":2,"b":3}]}')).toEqual({
      field: 'items.1.b',
    });
    expect(duplicateJsonKeyOf('[{"x":1},[1,2,{"y":1,"y":1}]]')).toEqual({ field: '1.2.y' });
  });

  it('reads keys as JSON.parse does: an escape names the same key', () => {
    expect(duplicateJsonKeyOf('{"a":1,"\\u0061":2}')).toEqual({ field: 'a' });
    expect(duplicateJsonKeyOf('{"é":1,"\\u00e9":2}')).toEqual({ field: 'é' });
    expect(duplicateJsonKeyOf('{"a\\"b":1,"a\\u0022b":2}')).toEqual({ field: 'a"b' });
  });

  it('finds a repeat among many keys (the Set past the first sixteen)', () => {
    const keys = Array.from({ length: 40 }, (_, i) => `"k${i}":${i}`);
    expect(duplicateJsonKeyOf(`{${keys.join(',')}}`)).toBeNull();
    expect(duplicateJsonKeyOf(`{${keys.join(',')},"k3":0}`)).toEqual({ field: 'k3' });
  });

  it('passes unique keys, the same key in other objects, and keys written inside strings', () => {
    for (const text of [
      '{}',
      '[]',
      '"amount"',
      '{"a":{"a":{"a":1}},"b":[{"a":1},{"a":2}]}',
      '{"note":"\\"amount\\": 1, \\"amount\\": 2","amount":1}',
      '{"path":"C:\\\\","amount":1,"x":"{\\"amount\\":1}"}',
      '["a","a",{"a":"a"}]',
      '{"a\\\\":1,"a":2}',
    ]) {
      expect([text, duplicateJsonKeyOf(text)]).toEqual([text, null]);
    }
  });

  it('leaves a text that is not JSON to the parse that names it', () => {
    expect(duplicateJsonKeyOf('{"a":1,"a":')).toBeNull();
    expect(duplicateJsonKeyOf('{"a":1,"a":2')).toBeNull();
    expect(duplicateJsonKeyOf('{"a')).toBeNull();
  });
});
