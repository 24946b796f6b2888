import { Writable } from 'node:stream';
import { runWithLogContext } from './log-context';
import { createLogger } from './logger';
import { PinoNestLogger } from './nest-logger';

function capture() {
  const lines: Record<string, unknown>[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(JSON.parse(chunk.toString()) as Record<string, unknown>);
      done();
    },
  });
  return { lines, stream };
}

describe('createLogger', () => {
  it('writes JSON lines with the service and the correlation context of the work', async () => {
    const { lines, stream } = capture();
    const logger = createLogger('funnel-api', 'info', stream);
    await runWithLogContext({ correlationId: 'c-1' }, async () => {
      await Promise.resolve();
      logger.info({ leadId: 'l-1' }, 'command handled');
    });
    logger.info('outside');
    expect(lines[0]).toMatchObject({
      level: 'info',
      service: 'funnel-api',
      correlationId: 'c-1',
      leadId: 'l-1',
      msg: 'command handled',
    });
    expect(lines[1]?.correlationId).toBeUndefined();
  });

  it('never writes a password', () => {
    const { lines, stream } = capture();
    createLogger('relay', 'info', stream).info({ kafka: { password: 'hunter2' } }, 'connect');
    expect(JSON.stringify(lines)).not.toContain('hunter2');
  });

  it("says what a thrown value that is not an Error was, where Nest's handler would print [object Object]", () => {
    const { lines, stream } = capture();
    const nest = new PinoNestLogger(createLogger('funnel-api', 'info', stream));
    nest.error({ name: 'ErrnoError', errno: 44 }, undefined, 'ExceptionHandler');
    nest.error(new Error('disk full'), 'Error: disk full\n    at x', 'ExceptionHandler');
    expect(lines[0]?.msg).toBe("{ name: 'ErrnoError', errno: 44 }");
    expect(lines[0]?.msg).not.toContain('[object Object]');
    expect(lines[1]).toMatchObject({ msg: 'disk full', context: 'ExceptionHandler' });
  });
});
