/**
 * The edge where typed errors become HTTP statuses — the only place that knows
 * both. Domain and store errors never carry status codes themselves.
 */
import {
  type ArgumentsHost,
  Catch,
  type ExceptionFilter,
  HttpException,
  Logger,
} from '@nestjs/common';
import {
  DefinitionVersionNotFoundError,
  DomainError,
  ForbiddenError,
  InvalidDefinitionError,
  LeadNotFoundError,
  LifecycleViolationError,
  RuleViolationError,
} from '@tandem/domain';
import {
  CheckpointConflictError,
  DuplicateEventIdError,
  InvalidAppendError,
  WrongExpectedRevisionError,
} from '@tandem/event-store';
import type { Response } from 'express';
import { LeadBusyError } from '../leads/lead-command.queue';

interface ErrorBody {
  statusCode: number;
  error: string;
  message: string;
  [key: string]: unknown;
}

export function toHttpError(error: unknown): ErrorBody | null {
  if (error instanceof LeadNotFoundError || error instanceof DefinitionVersionNotFoundError) {
    return { statusCode: 404, error: 'Not Found', message: error.message, code: error.code };
  }
  if (error instanceof ForbiddenError) {
    return { statusCode: 403, error: 'Forbidden', message: error.message, code: error.code };
  }
  if (error instanceof InvalidDefinitionError) {
    return {
      statusCode: 400,
      error: 'Bad Request',
      message: error.message,
      code: error.code,
      issues: error.issues.map((issue) => ({ field: issue.path, message: issue.message })),
    };
  }
  if (error instanceof LifecycleViolationError || error instanceof RuleViolationError) {
    return {
      statusCode: 422,
      error: 'Unprocessable Entity',
      message: error.message,
      code: error.code,
      ...(error instanceof RuleViolationError && error.reasons.length > 0
        ? { reasons: error.reasons }
        : {}),
    };
  }
  if (error instanceof DomainError) {
    return {
      statusCode: 422,
      error: 'Unprocessable Entity',
      message: error.message,
      code: error.code,
    };
  }
  if (
    error instanceof WrongExpectedRevisionError ||
    error instanceof DuplicateEventIdError ||
    error instanceof CheckpointConflictError
  ) {
    return { statusCode: 409, error: 'Conflict', message: error.message, code: 'conflict' };
  }
  if (error instanceof LeadBusyError) {
    return {
      statusCode: 429,
      error: 'Too Many Requests',
      message: error.message,
      code: error.code,
      retryAfterSeconds: error.retryAfterSeconds,
    };
  }
  if (error instanceof InvalidAppendError) {
    return {
      statusCode: 400,
      error: 'Bad Request',
      message: error.message,
      code: 'invalid_append',
    };
  }
  return null;
}

@Catch()
export class ErrorFilter implements ExceptionFilter {
  private readonly logger = new Logger('http');

  catch(error: unknown, host: ArgumentsHost): void {
    const response = host.switchToHttp().getResponse<Response>();
    if (error instanceof HttpException) {
      response.status(error.getStatus()).json(error.getResponse());
      return;
    }
    const mapped = toHttpError(error);
    if (mapped) {
      this.logger.log(`command refused: ${mapped.statusCode} ${mapped.message}`);
      if (typeof mapped.retryAfterSeconds === 'number') {
        response.setHeader('Retry-After', String(mapped.retryAfterSeconds));
      }
      response.status(mapped.statusCode).json(mapped);
      return;
    }
    this.logger.error(error instanceof Error ? (error.stack ?? error.message) : String(error));
    response
      .status(500)
      .json({ statusCode: 500, error: 'Internal Server Error', message: 'internal error' });
  }
}
