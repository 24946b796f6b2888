import { describeNonJsonObject, validateAppend, validateStreamId } from './append-validation';
import { InvalidAppendError } from './event-store.errors';
import type { EventToAppend, JsonObject } from './event-store.port';

const id = (n: number): string => `0190f000-0000-7000-8000-${n.toString().padStart(12, '0')}`;
const event = (overrides: Partial<EventToAppend> = {}): EventToAppend => ({
  eventId: id(1),
  type: 'LeadCaptured',
  schemaVersion: 1,
  data: { email: 'a@example.com' },
  metadata: {},
  ...overrides,
});

describe('validateAppend', () => {
  it('accepts a well-formed batch', () => {
    expect(() =>
      validateAppend('lead-1', [event(), event({ eventId: id(2), schemaVersion: 2 })]),
    ).not.toThrow();
  });

  it.each<[string, string, readonly EventToAppend[]]>([
    ['an empty batch', 'lead-1', []],
    ['an id that is not a UUID', 'lead-1', [event({ eventId: 'lead-1-e1' })]],
    ['an upper-case UUID', 'lead-1', [event({ eventId: id(1).toUpperCase() })]],
    ['the same id twice', 'lead-1', [event(), event()]],
    ['an empty type', 'lead-1', [event({ type: '' })]],
    ['a type longer than 255', 'lead-1', [event({ type: 'x'.repeat(256) })]],
    ['schemaVersion 0', 'lead-1', [event({ schemaVersion: 0 })]],
    ['a fractional schemaVersion', 'lead-1', [event({ schemaVersion: 1.5 })]],
    ['an array as data', 'lead-1', [event({ data: [] as unknown as JsonObject })]],
    ['null metadata', 'lead-1', [event({ metadata: null as unknown as JsonObject })]],
  ])('refuses %s', (_why, streamId, events) => {
    expect(() => validateAppend(streamId, events)).toThrow(InvalidAppendError);
  });
});

describe('validateStreamId', () => {
  it.each([
    ['empty', ''],
    ['a system stream', '$all'],
    ['too long', 'x'.repeat(256)],
    ['with a newline', 'lead-1\n'],
    ['with a NUL', 'lead-\u00001'],
  ])('refuses a stream id that is %s', (_why, streamId) => {
    expect(() => validateStreamId(streamId)).toThrow(InvalidAppendError);
  });

  it('accepts ordinary ids, including non-ASCII', () => {
    expect(() => validateStreamId('lead-0190f000')).not.toThrow();
    expect(() => validateStreamId('account-Åre')).not.toThrow();
  });
});

describe('describeNonJsonObject', () => {
  it('accepts nested JSON', () => {
    expect(
      describeNonJsonObject({ a: [1, 'two', null, true, { b: [] }], c: -0.5, d: 'Zoë' }),
    ).toBeNull();
    expect(describeNonJsonObject(Object.create(null) as object)).toBeNull();
  });

  it.each<[string, unknown, RegExp]>([
    ['an array', [], /JSON object/],
    ['null', null, /JSON object/],
    ['a Date', new Date(), /JSON object/],
    ['NaN', { n: Number.NaN }, /non-finite number at \$\.n/],
    ['Infinity in an array', { list: [1, Infinity] }, /non-finite number at \$\.list\[1\]/],
    ['undefined', { gone: undefined }, /undefined at \$\.gone/],
    ['a bigint', { big: 1n }, /bigint at \$\.big/],
    ['a function', { f: () => 1 }, /function at \$\.f/],
    ['a nested Date', { at: new Date() }, /non-plain object \(Date\) at \$\.at/],
    ['a NUL character', { s: 'a\u0000b' }, /NUL character at \$\.s/],
    ['a lone surrogate half', { s: ['ok', 'a\uD800b'] }, /lone surrogate half at \$\.s\[1\]/],
    ['a lone surrogate in a key', { ['\uDC00']: 1 }, /lone surrogate half in a key at \$/],
  ])('explains why %s is refused', (_why, value, problem) => {
    expect(describeNonJsonObject(value)).toMatch(problem);
  });

  it('refuses cycles instead of overflowing the stack', () => {
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    expect(describeNonJsonObject(cyclic)).toMatch(/cycle at \$\.self/);
  });

  it('accepts the same object twice when it is not a cycle', () => {
    const shared = { x: 1 };
    expect(describeNonJsonObject({ a: shared, b: shared })).toBeNull();
  });
});

describe('describeNonJsonObject names where the problem is', () => {
  it.each([
    [{ a: [1, { b: Number.NaN }] }, 'has a non-finite number at $.a[1].b'],
    [{ list: [[null, 'x\u0000']] }, 'has a NUL character at $.list[0][1]'],
    [{ when: { at: new Date(0) } }, 'has a non-plain object (Date) at $.when.at'],
    [{ f: undefined }, 'has a undefined at $.f'],
    [{ deep: { ok: true, n: 1, s: 's', none: null } }, null],
  ])('%j: %s', (value, problem) => {
    expect(describeNonJsonObject(value)).toBe(problem);
  });

  it('names a cycle where it closes', () => {
    const value: Record<string, unknown> = { inner: {} };
    (value.inner as Record<string, unknown>).back = value;
    expect(describeNonJsonObject(value)).toBe('has a cycle at $.inner.back');
  });
});
