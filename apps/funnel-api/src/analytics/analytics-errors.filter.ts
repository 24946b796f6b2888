/**
 * The query validation of AnalyticsQueries (a capture window, model, grain or asOf it cannot
 * use) as a 400. The zod query schemas refuse these first; this keeps a gap between the two
 * from ever surfacing as a 500. Other errors fall through to the global ErrorFilter.
 */
import { type ArgumentsHost, Catch, type ExceptionFilter } from '@nestjs/common';
import {
  InvalidCaptureWindowError,
  InvalidQueryParameterError,
  RuleSetNotFoundError,
} from '@tandem/analytics';
import type { Response } from 'express';

@Catch(InvalidCaptureWindowError, InvalidQueryParameterError)
export class AnalyticsParameterErrorFilter implements ExceptionFilter {
  catch(error: InvalidCaptureWindowError | InvalidQueryParameterError, host: ArgumentsHost): void {
    const parameter = /^(\w+)/.exec(error.message)?.[1] ?? '(query)';
    host
      .switchToHttp()
      .getResponse<Response>()
      .status(400)
      .json({
        statusCode: 400,
        error: 'Bad Request',
        message: `invalid query: ${error.message}`,
        issues: [{ parameter, message: error.message }],
      });
  }
}

/** A rule set the request names (or the active one) that analytics does not keep: a 404. */
@Catch(RuleSetNotFoundError)
export class RuleSetNotFoundFilter implements ExceptionFilter {
  catch(error: RuleSetNotFoundError, host: ArgumentsHost): void {
    host.switchToHttp().getResponse<Response>().status(404).json({
      statusCode: 404,
      error: 'Not Found',
      message: error.message,
    });
  }
}
