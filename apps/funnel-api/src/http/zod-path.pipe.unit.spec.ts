import { MAX_RULES_VERSION } from '@tandem/domain';
import { rulesVersionInUrl } from '../analytics/analytics-query.schemas';
import { declaredViews } from '../analytics/analytics-view.declarations';
import { ZodQueryPipe } from '../analytics/zod-query.pipe';
import { InvalidRequestError } from './problem-details';
import { ZodPathPipe } from './zod-path.pipe';

const version = new ZodPathPipe('version', rulesVersionInUrl('A published rules version'));

const problemsOf = (transform: () => unknown) => {
  try {
    transform();
  } catch (error) {
    if (error instanceof InvalidRequestError) return error.errors;
    throw error;
  }
  throw new Error('expected a refusal');
};

describe('ZodPathPipe with the rules version of a URL', () => {
  it('takes 1 to MAX_RULES_VERSION in digits', () => {
    expect(version.transform('1')).toBe(1);
    expect(version.transform(String(MAX_RULES_VERSION))).toBe(MAX_RULES_VERSION);
  });

  it.each([
    ['1.5', 'must be a whole number without leading zeros'],
    ['abc', 'must be a whole number without leading zeros'],
    ['-1', 'must be a whole number without leading zeros'],
    ['1e3', 'must be a whole number without leading zeros'],
    ['01', 'must be a whole number without leading zeros'],
    ['0', 'must be at least 1'],
    ['1000000000', `must be at most ${MAX_RULES_VERSION}`],
  ])('refuses %s naming the path parameter', (raw, message) => {
    expect(problemsOf(() => version.transform(raw))).toEqual([
      { in: 'path', field: 'version', message },
    ]);
  });

  it("spells the version as the views' rulesVersion query parameter does", () => {
    const funnel = new ZodQueryPipe(declaredViews.funnel.query);
    expect(funnel.transform({ rulesVersion: '7' })).toEqual({ rulesVersion: 7 });
    for (const [raw, message] of [
      ['01', 'must be a whole number without leading zeros'],
      ['0', 'must be at least 1'],
    ]) {
      expect(problemsOf(() => funnel.transform({ rulesVersion: raw }))).toEqual([
        { in: 'query', field: 'rulesVersion', message },
      ]);
    }
  });
});
