import { z } from 'zod';
import { leadCommandBodies } from './lead-command-bodies';
import { safeParseStrict } from './strict-body';

const unknownKeys = (result: z.ZodSafeParseResult<unknown>) =>
  result.success
    ? []
    : result.error.issues.flatMap((issue) =>
        issue.code === 'unrecognized_keys'
          ? issue.keys.map((key) => [...issue.path, key].join('.'))
          : [],
      );

describe('safeParseStrict', () => {
  const capture = {
    contact: { name: 'Ada', email: 'ada@example.com' },
    company: { name: 'Acme' },
    source: { channel: 'web' },
    consent: { marketing: true },
  };

  it('accepts a body naming only fields of its schema, as safeParse does', () => {
    const result = safeParseStrict(leadCommandBodies.CaptureLead, capture);
    expect(result).toEqual(leadCommandBodies.CaptureLead.safeParse(capture));
    expect(result.success).toBe(true);
  });

  it('names an unknown field at the top and in nested objects, with the schema issues', () => {
    const result = safeParseStrict(leadCommandBodies.CaptureLead, {
      ...capture,
      bogus: true,
      source: { channel: 'web', campain: 'spring' },
      contact: { name: 'Ada', email: 'not-an-email' },
    });
    expect(unknownKeys(result).sort()).toEqual(['bogus', 'source.campain']);
    expect(result.error?.issues.map((issue) => issue.path.join('.'))).toContain('contact.email');
  });

  it('looks through transforms, arrays and strict objects, naming each key once', () => {
    const schema = z
      .object({ items: z.array(z.object({ a: z.number() })), inner: z.strictObject({}) })
      .transform((value) => value.items.length);
    const result = safeParseStrict(schema, { items: [{ a: 1, b: 2 }], inner: { c: 3 } });
    expect(unknownKeys(result)).toEqual(['items.0.b', 'inner.c']);
  });
});
