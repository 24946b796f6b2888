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
});
