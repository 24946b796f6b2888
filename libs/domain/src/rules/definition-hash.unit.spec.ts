import { defaultFunnelDefinition } from './default-funnel-definition';
import { canonicalJson, definitionHash } from './definition-hash';
import type { FunnelDefinition } from './funnel-definition';

/** The same object with its keys in reverse order at every depth. */
function reversedKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(reversedKeys);
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value)
        .reverse()
        .map(([key, member]) => [key, reversedKeys(member)]),
    );
  }
  return value;
}

describe('definitionHash', () => {
  it('is 16 lowercase hex characters', () => {
    expect(definitionHash(defaultFunnelDefinition)).toMatch(/^[0-9a-f]{16}$/);
  });

  it('given the same content in another key order, then the hash is the same', () => {
    const shuffled = reversedKeys(defaultFunnelDefinition) as FunnelDefinition;
    expect(JSON.stringify(shuffled)).not.toBe(JSON.stringify(defaultFunnelDefinition));
    expect(definitionHash(shuffled)).toBe(definitionHash(defaultFunnelDefinition));
  });

  it.each<[string, FunnelDefinition]>([
    ['the version', { ...defaultFunnelDefinition, version: 2 }],
    [
      'a threshold',
      { ...defaultFunnelDefinition, mql: { ...defaultFunnelDefinition.mql, threshold: 56 } },
    ],
    [
      'the order of an array',
      {
        ...defaultFunnelDefinition,
        opportunityStages: [...defaultFunnelDefinition.opportunityStages].reverse(),
      },
    ],
    ['an optional field', { ...defaultFunnelDefinition, description: 'changed' }],
  ])('given a change of %s, then the hash changes', (_, changed) => {
    expect(definitionHash(changed)).not.toBe(definitionHash(defaultFunnelDefinition));
  });

  it('is the SHA-256 of the canonical JSON', () => {
    expect(canonicalJson({ b: [2, { d: 1, c: null }], a: 'x', e: undefined })).toBe(
      '{"a":"x","b":[2,{"c":null,"d":1}]}',
    );
    // sha256('{"a":1}') = 015abd7f5cc57a2dd94b7590f04ad8084273905ee33ec5cebeae62276a97f862
    expect(definitionHash({ a: 1 } as unknown as FunnelDefinition)).toBe('015abd7f5cc57a2d');
  });
});
