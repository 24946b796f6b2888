import { ConflictException, HttpException, NotFoundException } from '@nestjs/common';
import { InvalidQueryParameterError, RuleSetNotFoundError } from '@tandem/analytics';
import {
  InvalidDefinitionError,
  LeadAlreadyCapturedError,
  LeadNotFoundError,
  RuleViolationError,
} from '@tandem/domain';
import { WrongExpectedRevisionError } from '@tandem/event-store';
import { z } from 'zod';
import { LeadBusyError } from '../leads/lead-command.queue';
import { problemOf, problemSchema } from './problem-details';
import { fieldProblemsOf } from './zod-field-problems';

describe('problemOf: one mapping from errors to problem details', () => {
  it.each([
    ['LeadNotFoundError', new LeadNotFoundError('lead-1'), 404, 'lead_not_found'],
    [
      'LeadAlreadyCapturedError',
      new LeadAlreadyCapturedError('lead-1'),
      409,
      'lead_already_captured',
    ],
    ['RuleSetNotFoundError', new RuleSetNotFoundError('no rule set v9'), 404, 'rule_set_not_found'],
    [
      'WrongExpectedRevisionError',
      new WrongExpectedRevisionError('lead-1', '0', 2n),
      409,
      'conflict',
    ],
    [
      'RuleViolationError',
      new RuleViolationError('not an MQL', ['fit below 40']),
      422,
      'rule_violation',
    ],
    ['LeadBusyError', new LeadBusyError('lead-1', 16, 1), 429, 'lead_busy'],
    ['NotFoundException', new NotFoundException('no replay r-1 in this process'), 404, 'not_found'],
    ['ConflictException', new ConflictException('a replay is running'), 409, 'conflict'],
  ])('%s → %i %s, in the documented shape', (_name, error, status, code) => {
    const answer = problemOf(error);
    expect(answer).toMatchObject({
      type: `tag:tandem,2026:problem:${code}`,
      status,
      code,
      detail: error.message,
    });
    // Every answer fits the schema the OpenAPI document publishes (instance is set on send).
    expect(problemSchema.safeParse({ ...answer, instance: '/x' }).success).toBe(true);
  });

  it('keeps the code and extensions an HttpException body carries, drops Nest’s own keys', () => {
    const answer = problemOf(
      new HttpException(
        { statusCode: 429, error: 'Too Many Requests', message: 'slow down', code: 'rate_limited' },
        429,
      ),
    );
    expect(answer).toEqual({
      type: 'tag:tandem,2026:problem:rate_limited',
      title: 'Too Many Requests',
      status: 429,
      detail: 'slow down',
      code: 'rate_limited',
    });
  });

  it('names the fields of a definition and the parameter of an analytics query', () => {
    expect(
      problemOf(new InvalidDefinitionError([{ path: 'mql.threshold', message: 'too high' }])),
    ).toMatchObject({
      status: 400,
      errors: [{ in: 'body', field: 'mql.threshold', message: 'too high' }],
    });
    expect(
      problemOf(new InvalidQueryParameterError('asOf must be an ISO-8601 timestamp with a zone')),
    ).toMatchObject({ status: 400, errors: [{ in: 'query', field: 'asOf' }] });
  });

  it('returns the extensions a client acts on', () => {
    expect(problemOf(new RuleViolationError('not an MQL', ['fit below 40']))).toMatchObject({
      reasons: ['fit below 40'],
    });
    expect(problemOf(new LeadBusyError('lead-1', 16, 3))).toMatchObject({ retryAfterSeconds: 3 });
  });

  it('leaves an unexpected error to the 500 answer', () => {
    expect(problemOf(new TypeError('undefined is not a function'))).toBeNull();
  });
});

describe('fieldProblemsOf: zod issues as errors[]', () => {
  const schema = z.strictObject({ contact: z.strictObject({ email: z.email() }) });

  it('names nested fields by their dotted path, and each unknown key by itself', () => {
    const result = schema.safeParse({ contact: { email: 'nope', phone: '1' }, colour: 'red' });
    expect(result.success).toBe(false);
    expect(fieldProblemsOf(result.error!.issues, 'body')).toEqual(
      expect.arrayContaining([
        { in: 'body', field: 'contact.email', message: expect.any(String) as unknown },
        { in: 'body', field: 'contact.phone', message: 'not a field of this request' },
        { in: 'body', field: 'colour', message: 'not a field of this request' },
      ]),
    );
  });

  it('names the whole query when the problem is not one parameter', () => {
    const result = z.string().safeParse(3);
    expect(fieldProblemsOf(result.error!.issues, 'query')).toEqual([
      { in: 'query', field: '(query)', message: expect.any(String) as unknown },
    ]);
  });
});
