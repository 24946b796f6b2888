/**
 * The edge where errors become HTTP answers: every error a route throws, whatever its kind,
 * is rendered here as RFC 9457 problem details (the mapping is problem-details.ts). Domain
 * and store errors never carry status codes themselves. A refusal is logged at info, but
 * never with a key the client made up: an unknown field's name is the client's own text (a
 * templating slip puts `erin@example.com` in key position), and logs cannot be erased.
 */
import { type ArgumentsHost, Catch, type ExceptionFilter, Logger } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { Request, Response } from 'express';
import { methodNotAllowed } from './http-edge';
import { internalProblem, type Problem, problemOf, sendProblem } from './problem-details';
import { isUnknownFieldProblem } from './zod-field-problems';

@Catch()
export class ErrorFilter implements ExceptionFilter {
  private readonly logger = new Logger('http');

  constructor(private readonly adapter: HttpAdapterHost) {}

  catch(error: unknown, host: ArgumentsHost): void {
    const http = host.switchToHttp();
    const request = http.getRequest<Request>();
    const response = http.getResponse<Response>();
    const answer = problemOf(error);
    if (answer === null) {
      this.logger.error(error instanceof Error ? (error.stack ?? error.message) : String(error));
      sendProblem(request, response, internalProblem());
      return;
    }
    // No route for this path and method: a 405 with Allow where the path takes other methods.
    const wrongMethod =
      answer.status === 404
        ? methodNotAllowed(this.adapter.httpAdapter.getInstance(), request)
        : null;
    if (wrongMethod !== null) {
      response.setHeader('Allow', wrongMethod.allow);
      sendProblem(request, response, wrongMethod.problem);
      return;
    }
    if (answer.status >= 500) this.logger.error(`${answer.status} ${answer.detail}`);
    else this.logger.log(`refused: ${answer.status} ${refusalForLog(answer)}`);
    sendProblem(request, response, answer);
  }
}

/**
 * The refusal as the log says it: the detail the client reads, but where the problem names
 * fields, each one by its path unless the client made the key up (then only that there was one).
 */
function refusalForLog(answer: Problem): string {
  if (answer.errors === undefined || !answer.errors.some(isUnknownFieldProblem)) {
    return answer.detail;
  }
  const named = answer.errors.map((error) =>
    isUnknownFieldProblem(error)
      ? `(a ${error.in} key the endpoint does not know): ${error.message}`
      : `${error.field}: ${error.message}`,
  );
  return `invalid request: ${named.join('; ')}`;
}
