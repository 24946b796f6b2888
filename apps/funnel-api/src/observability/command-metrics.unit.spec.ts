import { ConflictException, NotFoundException } from '@nestjs/common';
import { LifecycleViolationError, LeadNotFoundError } from '@tandem/domain';
import { WrongExpectedRevisionError } from '@tandem/event-store';
import { classifyFailure } from './command-metrics';

describe('classifyFailure', () => {
  it('counts what the caller caused as refused, with the code the edge answers', () => {
    expect(classifyFailure(new LeadNotFoundError('l-1'))).toEqual({
      outcome: 'refused',
      reason: 'lead_not_found',
    });
    expect(classifyFailure(new WrongExpectedRevisionError('lead-l-1', '3', 4n))).toEqual({
      outcome: 'refused',
      reason: 'conflict',
    });
    expect(classifyFailure(new ConflictException('busy'))).toEqual({
      outcome: 'refused',
      reason: 'http_409',
    });
    expect(classifyFailure(new NotFoundException()).outcome).toBe('refused');
  });

  it('counts anything else as failed, without a reason (messages never become labels)', () => {
    expect(classifyFailure(new Error('connection reset by peer'))).toEqual({
      outcome: 'failed',
      reason: '',
    });
  });

  it('knows the lifecycle refusal by its code', () => {
    const error = new LifecycleViolationError('AcceptLead', 'captured', 'not handed to sales');
    expect(classifyFailure(error)).toEqual({ outcome: 'refused', reason: 'lifecycle_violation' });
  });
});
