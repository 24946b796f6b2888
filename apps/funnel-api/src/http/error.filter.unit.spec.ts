/**
 * The error filter's log line for a refused request (audit h3): a key the client made up is
 * the client's own text — a templating slip puts an e-mail address where a field name goes —
 * and a log line cannot be erased, so the log names that such a key was sent, never the key.
 * The answer still names it: the client reads back what it sent.
 */
import { Logger, type ArgumentsHost, type LoggerService } from '@nestjs/common';
import type { HttpAdapterHost } from '@nestjs/core';
import { captureLeadRequest } from '../leads/lead-command.requests';
import { ErrorFilter } from './error.filter';
import { ZodBodyPipe } from './zod-body.pipe';

const email = 'erin.h3@shred-me.example';

/** The body of a capture with `extra` added: a made-up key at the top and one in `contact`. */
const capture = {
  contact: { name: 'Erin', email: 'not an e-mail', [`dupe-${email}`]: true },
  company: { name: 'Shred Ltd' },
  source: { channel: 'web' },
  consent: { marketing: false },
  [email]: 'yes',
};

/** What the filter logs and answers for the error `ZodBodyPipe` throws on `body`. */
function refuse(body: unknown): { logged: string[]; answered: string } {
  const logged: string[] = [];
  const record = (message: unknown) => {
    logged.push(String(message));
  };
  const sink: LoggerService = {
    log: record,
    error: record,
    warn: record,
    debug: record,
    verbose: record,
  };
  Logger.overrideLogger(sink);
  let answered = '';
  const response = {
    setHeader: () => response,
    status: () => response,
    type: () => response,
    send: (text: string) => {
      answered = text;
      return response;
    },
  };
  const host = {
    switchToHttp: () => ({
      getRequest: () => ({ originalUrl: '/leads' }),
      getResponse: () => response,
    }),
  } as unknown as ArgumentsHost;
  const filter = new ErrorFilter({} as HttpAdapterHost);
  try {
    new ZodBodyPipe(captureLeadRequest).transform(body);
    throw new Error('the body was accepted');
  } catch (error) {
    filter.catch(error, host);
  } finally {
    Logger.overrideLogger(false);
  }
  return { logged, answered };
}

describe('ErrorFilter: a refusal in the log', () => {
  it('never names a key the client made up, while the answer does', () => {
    const { logged, answered } = refuse(capture);
    expect(answered).toContain(email); // the client reads back what it sent
    expect(logged).toHaveLength(1);
    const [line] = logged;
    expect(line).not.toContain('shred-me');
    expect(line).toMatch(/^refused: 400 invalid request: /);
    // Known fields stay named: what went wrong is still in the log.
    expect(line).toContain('contact.email: Invalid email address');
    expect(line).toContain('(a body key the endpoint does not know): not a field of this request');
  });

  it('keeps the detail as it is when every field named is the schema’s', () => {
    const { company, source, consent } = capture;
    const { logged } = refuse({ contact: { name: 'Erin' }, company, source, consent });
    expect(logged).toEqual([
      expect.stringMatching(/^refused: 400 invalid request: contact\.email/),
    ]);
  });
});
