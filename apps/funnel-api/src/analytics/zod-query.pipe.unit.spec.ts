import { BadRequestException } from '@nestjs/common';
import { attributionQuery, funnelQuery, targetsQuery } from './analytics-query.schemas';
import { ZodQueryPipe } from './zod-query.pipe';

function refusal(pipe: ZodQueryPipe<never>, query: Record<string, unknown>) {
  try {
    pipe.transform(query);
  } catch (error) {
    expect(error).toBeInstanceOf(BadRequestException);
    return (error as BadRequestException).getResponse() as {
      message: string;
      issues: { parameter: string; message: string }[];
    };
  }
  throw new Error('expected a 400');
}

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

  it('names each bad parameter, unknown ones included', () => {
    const body = refusal(attribution as unknown as ZodQueryPipe<never>, {
      model: 'bogus',
      limit: '1001',
      offset: '-3',
      capturedFrom: '2025-01-01',
      owner: 'marco',
      colour: 'red',
    });
    expect(body.issues.map((issue) => issue.parameter).sort()).toEqual([
      'capturedFrom',
      'colour',
      'limit',
      'model',
      'offset',
      'owner',
    ]);
    expect(body.message).toMatch(/^invalid query: /);
    expect(body.message).toContain('model:');
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
    expect(body.issues.map((issue) => issue.parameter)).toEqual([parameter]);
  });

  it('refuses a required enum that is missing, and filters a view has no column for', () => {
    expect(refusal(attribution as unknown as ZodQueryPipe<never>, {}).issues).toEqual([
      { parameter: 'model', message: expect.any(String) },
    ]);
    const targets = new ZodQueryPipe(targetsQuery) as unknown as ZodQueryPipe<never>;
    expect(refusal(targets, { channel: 'web' }).issues).toEqual([
      { parameter: 'channel', message: 'not a parameter of this endpoint' },
    ]);
    expect(refusal(targets, { owner: '' }).issues[0]).toEqual({
      parameter: 'owner',
      message: 'must not be empty',
    });
  });
});
