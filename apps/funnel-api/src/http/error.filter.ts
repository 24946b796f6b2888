/**
 * The edge where errors become HTTP answers: every error a route throws, whatever its kind,
 * is rendered here as RFC 9457 problem details (the mapping is problem-details.ts). Domain
 * and store errors never carry status codes themselves.
 */
import { type ArgumentsHost, Catch, type ExceptionFilter, Logger } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { Request, Response } from 'express';
import { methodNotAllowed } from './http-edge';
import { internalProblem, problemOf, sendProblem } from './problem-details';

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
    else this.logger.log(`refused: ${answer.status} ${answer.detail}`);
    sendProblem(request, response, answer);
  }
}
