/**
 * The correlation context of the work in progress (a request, an event being
 * handled), carried through async calls so every log line it produces names it
 * without threading ids through every function.
 */
import { AsyncLocalStorage } from 'node:async_hooks';

export interface LogContext {
  readonly correlationId?: string;
  readonly eventId?: string;
  readonly leadId?: string;
}

const storage = new AsyncLocalStorage<LogContext>();

export function runWithLogContext<T>(context: LogContext, work: () => T): T {
  return storage.run({ ...storage.getStore(), ...context }, work);
}

export function currentLogContext(): LogContext {
  return storage.getStore() ?? {};
}
