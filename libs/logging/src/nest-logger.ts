/** NestJS's LoggerService on top of pino, so framework lines are JSON too. */
import { inspect } from 'node:util';
import type { LoggerService } from '@nestjs/common';
import type { Logger } from 'pino';

/**
 * What Nest hands the logger is not always a string: its ExceptionHandler passes the thrown
 * value itself, which may be an object that is no Error (an engine's errno object, say).
 * `String()` of that reads "[object Object]"; say what it is instead.
 */
function describe(message: unknown): string {
  if (typeof message === 'string') return message;
  if (message instanceof Error) return message.message;
  return inspect(message, { depth: 3, breakLength: Infinity });
}

export class PinoNestLogger implements LoggerService {
  constructor(private readonly logger: Logger) {}

  log(message: unknown, context?: string): void {
    this.logger.info({ context }, String(message));
  }
  error(message: unknown, trace?: string, context?: string): void {
    const err = typeof message === 'object' && message !== null ? message : undefined;
    this.logger.error({ context, trace, err }, describe(message));
  }
  warn(message: unknown, context?: string): void {
    this.logger.warn({ context }, String(message));
  }
  debug(message: unknown, context?: string): void {
    this.logger.debug({ context }, String(message));
  }
  verbose(message: unknown, context?: string): void {
    this.logger.trace({ context }, String(message));
  }
}
