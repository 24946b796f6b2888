/**
 * Structured JSON logs (pino) for every Tandem process: one line per event of
 * interest, with the service name and the current correlation context mixed in.
 * Secrets never reach a log line: known credential fields are redacted.
 */
import pino, { type Logger } from 'pino';
import { currentLogContext } from './log-context';

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

export function createLogger(
  service: string,
  level: LogLevel,
  destination?: pino.DestinationStream,
): Logger {
  return pino(
    {
      level,
      base: { service },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
      mixin: () => ({ ...currentLogContext() }),
      redact: {
        paths: ['password', '*.password', 'authorization', '*.authorization', 'connectionString'],
        censor: '[redacted]',
      },
    },
    destination,
  );
}
