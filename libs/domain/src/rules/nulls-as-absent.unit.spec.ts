import { z } from 'zod';
import { defaultFunnelDefinition } from './default-funnel-definition';
import { funnelDefinitionSchema, parseDefinitionToPublish } from './funnel-definition';
import { nullsAsAbsent, takesNullAsAbsent } from './nulls-as-absent';

describe('nullsAsAbsent', () => {
  const schema = z.object({
    required: z.string(),
    optional: z.string().optional(),
    defaulted: z.number().default(3),
    nullable: z.string().nullable().default(null),
    anything: z.unknown().optional(),
    nested: z.object({ inner: z.string().optional() }),
    list: z.array(z.object({ inner: z.number().optional() })).optional(),
  });

  it('leaves out a null where the field may be absent and null is not one of its values', () => {
    expect(
      nullsAsAbsent(schema, {
        required: null,
        optional: null,
        defaulted: null,
        nullable: null,
        anything: null,
        nested: { inner: null },
        list: [{ inner: null }, { inner: 1 }],
        unknown: null,
      }),
    ).toEqual({
      required: null, // still refused by the schema
      nullable: null,
      anything: null,
      nested: {},
      list: [{}, { inner: 1 }],
      unknown: null, // unknownFields names it
    });
    expect(
      schema.parse(nullsAsAbsent(schema, { required: 'r', optional: null, nested: {} })),
    ).toEqual(schema.parse({ required: 'r', nested: {} }));
  });

  it('reads the option of a union that takes the value', () => {
    const union = z.union([
      z.object({ kind: z.literal('a'), a: z.string().optional() }),
      z.object({ kind: z.literal('b'), b: z.number().optional() }),
    ]);
    expect(nullsAsAbsent(union, { kind: 'b', b: null })).toEqual({ kind: 'b' });
    expect(nullsAsAbsent(union, { kind: 'c', b: null })).toEqual({ kind: 'c', b: null });
  });

  it('publishes a definition whose optional sections are null as one without them', () => {
    const sections = Object.entries<z.ZodType>(funnelDefinitionSchema.shape)
      .filter(([, field]) => takesNullAsAbsent(field))
      .map(([key]) => key);
    expect(sections).toEqual(expect.arrayContaining(['description', 'salesSourced', 'reporting']));
    const without = Object.fromEntries(
      Object.entries(defaultFunnelDefinition).filter(([key]) => !sections.includes(key)),
    );
    const nulls = { ...without, ...Object.fromEntries(sections.map((key) => [key, null])) };
    expect(parseDefinitionToPublish(nulls)).toEqual(parseDefinitionToPublish(without));
    expect(() => parseDefinitionToPublish({ ...without, name: null })).toThrow('name');
  });
});
