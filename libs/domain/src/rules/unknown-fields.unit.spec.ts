import { z } from 'zod';
import { unknownFields } from './unknown-fields';

describe('unknownFields', () => {
  const schema = z.object({
    a: z.string(),
    nested: z.object({ b: z.number() }).optional(),
    list: z.array(z.object({ c: z.boolean() })).optional(),
  });

  it('names each undeclared key by its path, at any depth, and passes declared ones', () => {
    expect(unknownFields(schema, { a: 'x', nested: { b: 1 }, list: [{ c: true }] })).toEqual([]);
    expect(
      unknownFields(schema, {
        a: 'x',
        extra: 1,
        nested: { b: 1, bb: 2 },
        list: [{ c: true, d: 0 }],
      }),
    ).toEqual([['extra'], ['nested', 'bb'], ['list', 0, 'd']]);
  });

  it('leaves a loose object’s other keys to its catchall, and still looks inside them', () => {
    const loose = z.object({ meta: z.looseObject({ id: z.string() }) });
    expect(unknownFields(loose, { meta: { id: 'x', anything: 1 } })).toEqual([]);
    const typed = z.object({ tags: z.object({}).catchall(z.object({ v: z.string() })) });
    expect(unknownFields(typed, { tags: { t1: { v: 'a', w: 'b' } } })).toEqual([
      ['tags', 't1', 'w'],
    ]);
    // A strict object's catchall is never: its other keys are unknown, as a plain object's.
    expect(unknownFields(z.object({ s: z.strictObject({}) }), { s: { k: 1 } })).toEqual([
      ['s', 'k'],
    ]);
  });

  // zod drops `__proto__` from a record's or a loose object's output, where every other key is
  // taken: a definition's `intent.touchpointPoints.__proto__` was published without a word.
  it('names a `__proto__` key wherever zod would drop it, unless a shape declares it', () => {
    const schema = z.object({
      points: z.partialRecord(z.enum(['a', 'b']), z.number()),
      meta: z.looseObject({}),
      named: z.object({ ['__proto__']: z.number() }).optional(),
    });
    const given = JSON.parse(
      '{"points":{"a":1,"__proto__":2},"meta":{"x":1,"__proto__":{}},"named":{"__proto__":3}}',
    ) as unknown;
    expect(unknownFields(schema, given)).toEqual([
      ['points', '__proto__'],
      ['meta', '__proto__'],
    ]);
  });

  it('looks inside the union option zod keeps, and names what no option declares', () => {
    // Plain objects: zod keeps the first option that parses and strips the rest of the keys.
    const union = z.object({
      target: z.union([z.object({ leadId: z.string() }), z.object({ visitorId: z.string() })]),
    });
    expect(unknownFields(union, { target: { leadId: 'l' } })).toEqual([]);
    expect(unknownFields(union, { target: { leadId: 'l', visitorld: 'v' } })).toEqual([
      ['target', 'visitorld'],
    ]);
    // Neither option takes it: only what neither declares is unknown.
    expect(unknownFields(union, { target: { leadld: 'l', visitorId: 1 } })).toEqual([
      ['target', 'leadld'],
    ]);
    const tagged = z.discriminatedUnion('kind', [
      z.object({ kind: z.literal('a'), a: z.number() }),
      z.object({ kind: z.literal('b'), b: z.array(z.object({ c: z.string() })) }),
    ]);
    expect(unknownFields(tagged, { kind: 'b', b: [{ c: 'x', cc: 'y' }], a: 1 })).toEqual([
      ['b', 0, 'cc'],
      ['a'],
    ]);
  });

  it('takes a key either side of an intersection declares', () => {
    const both = z.intersection(
      z.object({ a: z.string(), n: z.object({ x: z.number() }) }),
      z.object({ b: z.string(), n: z.object({ y: z.number() }) }),
    );
    expect(unknownFields(both, { a: 'a', b: 'b', n: { x: 1, y: 2 } })).toEqual([]);
    expect(unknownFields(both, { a: 'a', b: 'b', c: 'c', n: { x: 1, y: 2, z: 3 } })).toEqual([
      ['c'],
      ['n', 'z'],
    ]);
  });
});
