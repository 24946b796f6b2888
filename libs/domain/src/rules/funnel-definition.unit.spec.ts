import { InvalidDefinitionError } from '../errors';
import { defaultFunnelDefinition } from './default-funnel-definition';
import shipped from './default-funnel-definition.json';
import {
  defaultTransitions,
  MAX_RULES_VERSION,
  parseDefinitionToPublish,
  parseFunnelDefinition,
} from './funnel-definition';
import { evaluateMql, fitScore, intentScore, type LeadFacts, slaDueAt } from './scoring';

const issuesOf = (draft: unknown) => {
  try {
    parseFunnelDefinition(draft);
  } catch (error) {
    if (error instanceof InvalidDefinitionError) return error.issues.map((i) => i.path);
    throw error;
  }
  return [];
};

describe('funnel definition validation', () => {
  it('accepts the shipped default', () => {
    expect(parseFunnelDefinition(defaultFunnelDefinition)).toEqual(defaultFunnelDefinition);
  });

  it('publishes its text in NFC, so a value typed decomposed is the composed one', () => {
    const icp = defaultFunnelDefinition.icp;
    const draft = (industries: string[]) => ({
      ...defaultFunnelDefinition,
      name: 'Caf\u0065\u0301s',
      icp: { ...icp, industries },
    });
    const published = parseDefinitionToPublish(draft(['Cafe\u0301', 'software']));
    expect(published.name).toBe('Caf\u00e9s');
    expect(published.icp.industries).toEqual(['Caf\u00e9', 'software']);
    // Two spellings of one industry are one industry listed twice.
    expect(() => parseDefinitionToPublish(draft(['Caf\u00e9', 'Cafe\u0301']))).toThrow(
      expect.objectContaining({
        issues: [{ path: 'icp.industries', message: 'must not repeat a value' }],
      }) as Error,
    );
    // A version already published loads as it was recorded.
    expect(parseFunnelDefinition(draft(['Cafe\u0301'])).icp.industries).toEqual(['Cafe\u0301']);
  });

  it('names every offending field', () => {
    expect(
      issuesOf({
        ...defaultFunnelDefinition,
        version: 0,
        icp: { ...defaultFunnelDefinition.icp, companySize: { min: 900, max: 10 } },
        mql: { ...defaultFunnelDefinition.mql, fitWeight: 0.9 },
        sql: { criteria: ['budget'], minimumMet: 2 },
        rejectionReasons: [
          { code: 'dup', label: 'a' },
          { code: 'dup', label: 'b' },
        ],
        attribution: { models: ['linear'], default: 'w_shaped' },
      }),
    ).toEqual(
      expect.arrayContaining([
        'version',
        'icp.companySize',
        'mql.fitWeight',
        'sql.minimumMet',
        'rejectionReasons',
        'attribution.default',
      ]),
    );
  });

  it.each([MAX_RULES_VERSION + 1, 2 ** 32 + 1, Number.MAX_SAFE_INTEGER])(
    'refuses to publish or replay version %d, which no view could read back',
    (version) => {
      const refused = () => parseDefinitionToPublish({ ...defaultFunnelDefinition, version });
      expect(refused).toThrow(InvalidDefinitionError);
      expect(refused).toThrow(`version: must be at most ${MAX_RULES_VERSION}`);
    },
  );

  // ICU knows it, ClickHouse does not: every view grouped in it was a 500 once in force.
  it('refuses to publish a reporting time zone ClickHouse does not load, still decodes it', () => {
    const draft = { ...defaultFunnelDefinition, reporting: { timeZone: 'SystemV/AST4' } };
    expect(() => parseDefinitionToPublish(draft)).toThrow('reporting.timeZone: must be');
    expect(parseFunnelDefinition(draft).reporting?.timeZone).toBe('SystemV/AST4');
    const linked = { ...defaultFunnelDefinition, reporting: { timeZone: 'US/Pacific-New' } };
    expect(parseDefinitionToPublish(linked).reporting?.timeZone).toBe('US/Pacific-New');
  });

  it('publishes version MAX_RULES_VERSION', () => {
    const version = MAX_RULES_VERSION;
    expect(parseDefinitionToPublish({ ...defaultFunnelDefinition, version }).version).toBe(version);
  });

  it('rejects a missing section by name', () => {
    const { sla: _sla, ...withoutSla } = defaultFunnelDefinition;
    expect(issuesOf(withoutSla)).toEqual(['sla']);
  });
});

describe('a draft to publish names every field it does not know', () => {
  const publishIssues = (draft: unknown) => {
    try {
      parseDefinitionToPublish(draft);
    } catch (error) {
      if (error instanceof InvalidDefinitionError) return error.issues;
      throw error;
    }
    return [];
  };
  /** The default with every optional section the schema has filled in. */
  const everySection = {
    ...defaultFunnelDefinition,
    intent: { ...defaultFunnelDefinition.intent, touchpointPoints: { webinar: 10 } },
    attribution: { ...defaultFunnelDefinition.attribution, timeDecay: { halfLifeDays: 7 } },
    reporting: { timeZone: 'Europe/Rome', fiscalYearStartMonth: 4 },
  };
  /** The path of every object inside a JSON value, the root included. */
  const objectPaths = (value: unknown, path: string[] = []): string[][] =>
    Array.isArray(value)
      ? value.flatMap((item, index) => objectPaths(item, [...path, String(index)]))
      : typeof value === 'object' && value !== null
        ? [
            path,
            ...Object.entries(value).flatMap(([key, item]) => objectPaths(item, [...path, key])),
          ]
        : [];
  const withField = (value: unknown, path: readonly string[], field: string): unknown => {
    const copy: unknown = structuredClone(value);
    let at = copy as Record<string, unknown>;
    for (const key of path) at = at[key] as Record<string, unknown>;
    at[field] = { oops: true };
    return copy;
  };

  it('publishes the shipped default and a draft with every optional section', () => {
    expect(parseDefinitionToPublish(shipped)).toEqual(defaultFunnelDefinition);
    expect(publishIssues(everySection)).toEqual([]);
  });

  it('refuses a typo of a section, naming it beside the section it misses', () => {
    const { mql, ...rest } = defaultFunnelDefinition;
    expect(publishIssues({ ...rest, mqll: mql })).toEqual([
      { path: 'mqll', message: 'is not a field of the definition' },
      { path: 'mql', message: expect.stringContaining('expected object') as string },
    ]);
  });

  // Every object of the dictionary, so a section added later is covered as it is declared.
  it.each(objectPaths(everySection).map((path) => [path.join('.') || '(root)', path] as const))(
    'refuses an unknown field in %s, naming its path',
    (_name, path) => {
      const field = [...path, 'notAField'].join('.');
      expect(publishIssues(withField(everySection, path, 'notAField'))).toEqual([
        { path: field, message: 'is not a field of the definition' },
      ]);
    },
  );

  // As JSON.parse makes it: an own key. zod drops it from a record's output without a word, so
  // `intent.touchpointPoints.__proto__` was published without it (audit h3).
  it.each(objectPaths(everySection).map((path) => [path.join('.') || '(root)', path] as const))(
    'refuses a `__proto__` key in %s, naming its path',
    (_name, path) => {
      const draft = structuredClone(everySection) as unknown;
      let at = draft as Record<string, unknown>;
      for (const key of path) at = at[key] as Record<string, unknown>;
      Object.defineProperty(at, '__proto__', { value: 1, enumerable: true });
      expect(publishIssues(draft)).toEqual([
        { path: [...path, '__proto__'].join('.'), message: 'is not a field of the definition' },
      ]);
    },
  );

  it('still reads a stored definition with a field it does not know (history folds)', () => {
    const stored = { ...defaultFunnelDefinition, retiredSection: { a: 1 } };
    expect(parseFunnelDefinition(stored)).toEqual(defaultFunnelDefinition);
  });
});

describe('funnel definition transitions', () => {
  /** Every issue of a draft that differs from the default only in its transitions. */
  const transitionIssues = (transitions: unknown) => {
    try {
      parseFunnelDefinition({ ...defaultFunnelDefinition, transitions });
    } catch (error) {
      if (error instanceof InvalidDefinitionError) return error.issues;
      throw error;
    }
    return [];
  };
  const graphWith = (...changed: { from: string; to: string[] }[]) => [
    ...defaultTransitions.filter((t) => !changed.some((c) => c.from === t.from)),
    ...changed,
  ];

  it("the shipped default lists today's graph explicitly", () => {
    expect(shipped.transitions).toEqual(defaultTransitions);
    expect(defaultFunnelDefinition.transitions).toEqual(defaultTransitions);
  });

  it('a definition published before transitions existed gets the default graph', () => {
    const { transitions: _transitions, ...legacy } = defaultFunnelDefinition;
    const parsed = parseFunnelDefinition(legacy);
    expect(parsed.transitions).toEqual(defaultTransitions);
    expect(parsed).toEqual(defaultFunnelDefinition);
  });

  it('each parse gets its own copy of the default graph', () => {
    const { transitions: _transitions, ...legacy } = defaultFunnelDefinition;
    const first = parseFunnelDefinition(legacy);
    first.transitions[0]?.to.push('sql');
    expect(parseFunnelDefinition(legacy).transitions).toEqual(defaultTransitions);
  });

  it('accepts a different graph that keeps every lead moving', () => {
    const custom = graphWith(
      { from: 'nurturing', to: ['mql', 'handed_to_sales'] },
      { from: 'rejected', to: ['handed_to_sales'] },
    ).filter((t) => t.from !== 'lost');
    expect(transitionIssues(custom)).toEqual([]);
  });

  it('refuses an unknown status by its path', () => {
    expect(transitionIssues(graphWith({ from: 'mql', to: ['handed_to_sales', 'limbo'] }))).toEqual([
      { path: 'transitions.7.to.1', message: expect.stringContaining('"nurturing"') as string },
    ]);
    expect(transitionIssues([...defaultTransitions, { from: 'limbo', to: ['mql'] }])).toEqual([
      { path: 'transitions.8.from', message: expect.any(String) as string },
    ]);
  });

  it('refuses a from listed twice, naming the first entry', () => {
    expect(transitionIssues([...defaultTransitions, { from: 'mql', to: ['nurturing'] }])).toEqual([
      {
        path: 'transitions.8.from',
        message: 'mql is already listed at transitions.1; put all its targets there',
      },
    ]);
  });

  it('refuses a target listed twice or a status moving to itself', () => {
    expect(
      transitionIssues(graphWith({ from: 'sql', to: ['opportunity', 'sql', 'opportunity'] })),
    ).toEqual([
      { path: 'transitions.7.to.1', message: 'sql cannot move to itself' },
      { path: 'transitions.7.to.2', message: 'opportunity is listed twice' },
    ]);
  });

  it('refuses a target a lead could never leave, except won and lost', () => {
    const withoutRejected = defaultTransitions.filter((t) => t.from !== 'rejected');
    expect(transitionIssues(withoutRejected)).toEqual([
      {
        path: 'transitions.2.to.1',
        message:
          'a lead moved to rejected could never leave it: add an entry from rejected (only won and lost may be final)',
      },
    ]);
    const lostIsFinal = defaultTransitions.filter((t) => t.from !== 'lost');
    expect(transitionIssues(lostIsFinal)).toEqual([]);
  });

  it('nurturing must be able to move to mql', () => {
    expect(transitionIssues(graphWith({ from: 'nurturing', to: ['handed_to_sales'] }))).toEqual([
      {
        path: 'transitions.7.to',
        message: 'must include mql: every lead starts in nurturing and qualifies from there',
      },
    ]);
    expect(transitionIssues(defaultTransitions.filter((t) => t.from !== 'nurturing'))).toEqual([
      {
        path: 'transitions',
        message:
          'must have an entry from nurturing that moves to mql: every lead starts in nurturing',
      },
    ]);
  });

  it('refuses an empty target list', () => {
    expect(transitionIssues(graphWith({ from: 'lost', to: [] }))).toEqual([
      { path: 'transitions.7.to', message: expect.any(String) as string },
    ]);
  });
});

const fitting: LeadFacts = {
  name: 'A',
  email: 'a@example.com',
  productInterest: 'lead_scoring',
  timeframe: 'now',
  industry: 'software',
  companySize: 100,
  country: 'IT',
  role: 'cmo',
  touchpoints: [],
};

describe('scoring', () => {
  it('fit is the weighted share of ICP criteria met', () => {
    expect(fitScore(defaultFunnelDefinition, fitting)).toBe(100);
    expect(fitScore(defaultFunnelDefinition, { ...fitting, role: null })).toBe(80);
    expect(fitScore(defaultFunnelDefinition, { ...fitting, companySize: 10, country: 'BR' })).toBe(
      65,
    );
  });

  it('intent halves every half-life and is capped', () => {
    const at = '2026-03-31T00:00:00.000Z';
    const demo = (occurredAt: string) => ({ kind: 'demo_request' as const, occurredAt });
    expect(intentScore(defaultFunnelDefinition, { ...fitting, touchpoints: [demo(at)] }, at)).toBe(
      40,
    );
    expect(
      intentScore(
        defaultFunnelDefinition,
        { ...fitting, touchpoints: [demo('2026-03-01T00:00:00.000Z')] },
        at,
      ),
    ).toBe(20);
    const many = Array.from({ length: 5 }, () => demo(at));
    expect(intentScore(defaultFunnelDefinition, { ...fitting, touchpoints: many }, at)).toBe(100);
  });

  it('MQL needs the threshold and every required field', () => {
    const at = '2026-03-31T00:00:00.000Z';
    const hot = { ...fitting, touchpoints: [{ kind: 'demo_request' as const, occurredAt: at }] };
    expect(evaluateMql(defaultFunnelDefinition, hot, at)).toMatchObject({
      qualifies: true,
      score: 76,
    });
    expect(evaluateMql(defaultFunnelDefinition, { ...hot, email: ' ' }, at)).toMatchObject({
      qualifies: false,
      reasons: ['missing required fields: email', expect.stringContaining('meets threshold')],
    });
  });

  it('the SLA is due acceptWithinHours after the hand-off', () => {
    expect(slaDueAt(defaultFunnelDefinition, '2026-03-02T10:00:00.000Z')).toBe(
      '2026-03-03T10:00:00.000Z',
    );
  });
});
