import type { NextFunction, Request, Response } from 'express';
import { answerEdgeErrors } from './http-edge';

/** Just what sendProblem writes through, recorded. */
function recordingResponse(headersSent = false) {
  const sent = { status: 0, type: '', body: '', headers: {} as Record<string, string> };
  const response = {
    headersSent,
    setHeader: (name: string, value: string) => {
      sent.headers[name] = value;
    },
    status(code: number) {
      sent.status = code;
      return this;
    },
    type(type: string) {
      sent.type = type;
      return this;
    },
    send(body: string) {
      sent.body = body;
      return this;
    },
  };
  return { sent, response: response as unknown as Response };
}

const request = { originalUrl: '/leads?x=1' } as Request;

describe('answerEdgeErrors', () => {
  it('answers an unexpected error before routing as a 500 problem, without its words', () => {
    const { sent, response } = recordingResponse();
    const next = jest.fn();
    answerEdgeErrors(
      new Error('connection to api_keys lost: secret=abc'),
      request,
      response,
      next as NextFunction,
    );
    expect(next).not.toHaveBeenCalled();
    expect(sent.status).toBe(500);
    expect(sent.type).toBe('application/problem+json');
    expect(JSON.parse(sent.body)).toEqual({
      type: 'tag:tandem,2026:problem:internal_error',
      title: 'Internal Server Error',
      status: 500,
      detail: 'internal error; the server log has the details',
      code: 'internal_error',
      instance: '/leads',
    });
  });

  it('leaves an answer already under way to Express', () => {
    const { sent, response } = recordingResponse(true);
    const next = jest.fn();
    const error = new Error('late');
    answerEdgeErrors(error, request, response, next as NextFunction);
    expect(next).toHaveBeenCalledWith(error);
    expect(sent.status).toBe(0);
  });
});
