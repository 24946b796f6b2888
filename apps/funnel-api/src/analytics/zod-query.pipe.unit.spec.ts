import { type FieldProblem, InvalidRequestError, problemOf } from '../http/problem-details';
import { declaredViews } from './analytics-view.declarations';
import { ZodQueryPipe } from './zod-query.pipe';

function refusal(pipe: ZodQueryPipe<never>, query: Record<string, unknown>) {
  try {
    pipe.transform(query);
  } catch (error) {
    expect(error).toBeInstanceOf(InvalidRequestError);
    // What the client reads: the problem the edge renders from the error.
    return problemOf(error) as { status: number; detail: string; errors: readonly FieldProblem[] };
  }
  throw new Error('expected a 400');
}

const attributionQuery = declaredViews.attribution.query;
const funnelQuery = declaredViews.funnel.query;
const targetsQuery = declaredViews.targets.query;

describe('ZodQueryPipe with the analytics query schemas', () => {
  const attribution = new ZodQueryPipe(attributionQuery);

  it('parses numbers, enums and timestamps', () => {
    expect(
      attribution.transform({
        model: 'u_shaped',
        limit: '25',
        offset: '50',
        capturedFrom: '2025-01-01T00:00:00+01:00',
        capturedTo: '2025-02-01T00:00Z',
        channel: 'web',
        format: 'csv',
      }),
    ).toEqual({
      model: 'u_shaped',
      limit: 25,
      offset: 50,
      capturedFrom: '2025-01-01T00:00:00+01:00',
      capturedTo: '2025-02-01T00:00Z',
      channel: 'web',
      format: 'csv',
    });
    expect(new ZodQueryPipe(funnelQuery).transform(undefined)).toEqual({});
  });

  it('says a whole number past its bound is too large, not that it is not a number', () => {
    const asAttribution = attribution as unknown as ZodQueryPipe<never>;
    for (const offset of ['1000000000', '99999999999999999999999']) {
      expect(refusal(asAttribution, { model: 'linear', offset }).errors).toEqual([
        { in: 'query', field: 'offset', message: 'must be at most 999999999' },
      ]);
    }
    expect(refusal(asAttribution, { model: 'linear', offset: '1.5' }).errors).toEqual([
      { in: 'query', field: 'offset', message: 'must be a whole number' },
    ]);
    expect(attribution.transform({ model: 'linear', offset: '999999999' })).toMatchObject({
      offset: 999_999_999,
    });
  });

  it('names each bad parameter, unknown ones included', () => {
    const body = refusal(attribution as unknown as ZodQueryPipe<never>, {
      model: 'bogus',
      limit: '1001',
      offset: '-3',
      capturedFrom: '2025-01-01',
      owner: 'marco',
      colour: 'red',
    });
    expect(body.errors.map((issue) => issue.field).sort()).toEqual([
      'capturedFrom',
      'colour',
      'limit',
      'model',
      'offset',
      'owner',
    ]);
    expect(body.status).toBe(400);
    expect(body.errors.every((issue) => issue.in === 'query')).toBe(true);
    expect(body.detail).toMatch(/^invalid request: /);
    expect(body.detail).toContain('model:');
  });

  it.each([
    [{ capturedTo: '2025-01-01T00:00:00' }, 'capturedTo'], // no zone
    [{ capturedTo: '1800-01-01T00:00:00Z' }, 'capturedTo'], // outside DateTime64
    [{ capturedFrom: '2025-02-01T00:00Z', capturedTo: '2025-02-01T00:00Z' }, 'capturedTo'],
    [{ limit: '1e3' }, 'limit'],
    [{ limit: ['1', '2'] }, 'limit'],
    [{ limit: '' }, 'limit'],
  ])('refuses %j naming %s', (query, parameter) => {
    const body = refusal(new ZodQueryPipe(funnelQuery) as unknown as ZodQueryPipe<never>, query);
    expect(body.errors.map((issue) => issue.field)).toEqual([parameter]);
  });

  it('refuses a required enum that is missing, and filters a view has no column for', () => {
    expect(refusal(attribution as unknown as ZodQueryPipe<never>, {}).errors).toEqual([
      { in: 'query', field: 'model', message: expect.any(String) },
    ]);
    const targets = new ZodQueryPipe(targetsQuery) as unknown as ZodQueryPipe<never>;
    expect(refusal(targets, { channel: 'web' }).errors).toEqual([
      { in: 'query', field: 'channel', message: 'not a parameter of this endpoint' },
    ]);
    expect(refusal(targets, { owner: '' }).errors[0]).toEqual({
      in: 'query',
      field: 'owner',
      message: 'must not be empty',
    });
  });

  it('refuses a targets team that is not one of the two, naming team and the teams', () => {
    const targets = new ZodQueryPipe(targetsQuery);
    const asTargets = targets as unknown as ZodQueryPipe<never>;
    for (const team of ['ops', 'Sales', '']) {
      const [problem, ...rest] = refusal(asTargets, { team }).errors;
      expect(rest).toEqual([]);
      expect(problem).toMatchObject({ in: 'query', field: 'team' });
      expect(problem?.message).toContain('"marketing"');
      expect(problem?.message).toContain('"sales"');
    }
    expect(targets.transform({ team: 'sales', owner: 'marco' })).toEqual({
      team: 'sales',
      owner: 'marco',
    });
    // Sales performance's team is the hand-off's free-text sales team: any name filters.
    expect(
      new ZodQueryPipe(declaredViews.salesPerformance.query).transform({ team: 'emea' }),
    ).toEqual({ team: 'emea' });
  });

  it('takes the calendar and a trend point only where the declaration names them', () => {
    const leads = new ZodQueryPipe(declaredViews.leads.query);
    expect(
      leads.transform({
        stage: 'won',
        grain: 'quarter',
        period: '2025-04-01',
        timeZone: 'Europe/Rome',
        fiscalStartMonth: '4',
      }),
    ).toEqual({
      stage: 'won',
      grain: 'quarter',
      period: '2025-04-01',
      timeZone: 'Europe/Rome',
      fiscalStartMonth: 4,
    });
    const asLeads = leads as unknown as ZodQueryPipe<never>;
    expect(refusal(asLeads, { stage: 'won', grain: 'week' }).errors).toEqual([
      { in: 'query', field: 'period', message: 'needed with grain' },
    ]);
    for (const period of ['2026-13-45', '2026-02-30', '1899-12-25']) {
      expect(
        refusal(asLeads, { stage: 'won', grain: 'week', period }).errors.map(
          (issue) => issue.field,
        ),
      ).toEqual(['period']);
    }
    expect(leads.transform({ stage: 'won', grain: 'month', period: '1969-12-01' })).toMatchObject({
      period: '1969-12-01',
    });
    expect(
      refusal(asLeads, { stage: 'won', timeZone: '+01:00', fiscalStartMonth: '13' }).errors.map(
        (issue) => issue.field,
      ),
    ).toEqual(['timeZone', 'fiscalStartMonth']);
    const funnel = new ZodQueryPipe(funnelQuery) as unknown as ZodQueryPipe<never>;
    expect(refusal(funnel, { timeZone: 'UTC' }).errors).toEqual([
      { in: 'query', field: 'timeZone', message: 'not a parameter of this endpoint' },
    ]);
  });
});
