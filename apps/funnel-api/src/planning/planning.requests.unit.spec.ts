import { targetRequest } from './planning.requests';

const target = { team: 'sales', metric: 'won_deals', period: '2025-Q1', value: 40 };

describe('the POST /targets body', () => {
  it('takes a target without an owner as team-wide (owner null)', () => {
    expect(targetRequest.parse(target)).toEqual({ ...target, owner: null });
    expect(targetRequest.parse({ ...target, owner: null })).toEqual({ ...target, owner: null });
  });

  it('keeps an owner given, and refuses a blank one as it refuses any blank text', () => {
    expect(targetRequest.parse({ ...target, owner: 'marco' }).owner).toBe('marco');
    expect(targetRequest.safeParse({ ...target, owner: '   ' }).success).toBe(false);
  });
});
