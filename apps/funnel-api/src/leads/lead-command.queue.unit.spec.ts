/**
 * The per-lead command queue: one lead's commands one at a time and in arrival order, other
 * leads in parallel, a full lane refused at once, and no entry left for an idle lead.
 */
import { LeadBusyError, LeadCommandQueue } from './lead-command.queue';

/** A promise the test settles by hand. */
function gate(): { promise: Promise<void>; open: () => void; fail: (error: Error) => void } {
  let open!: () => void;
  let fail!: (error: Error) => void;
  const promise = new Promise<void>((resolve, reject) => {
    open = resolve;
    fail = reject;
  });
  return { promise, open, fail };
}

const flush = () => new Promise((resolve) => setImmediate(resolve));

describe('LeadCommandQueue', () => {
  it('runs one lead’s commands one after another, in arrival order', async () => {
    const queue = new LeadCommandQueue();
    const log: string[] = [];
    const first = gate();
    const a = queue.run('lead-1', async () => {
      log.push('a starts');
      await first.promise;
      log.push('a ends');
      return 'a';
    });
    const b = queue.run('lead-1', () => {
      log.push('b starts');
      return Promise.resolve('b');
    });
    await flush();
    expect(log).toEqual(['a starts']);
    first.open();
    await expect(Promise.all([a, b])).resolves.toEqual(['a', 'b']);
    expect(log).toEqual(['a starts', 'a ends', 'b starts']);
  });

  it('runs different leads in parallel', async () => {
    const queue = new LeadCommandQueue();
    const held = gate();
    const slow = queue.run('lead-1', () => held.promise);
    await expect(queue.run('lead-2', () => Promise.resolve('other lead'))).resolves.toBe(
      'other lead',
    );
    held.open();
    await slow;
  });

  it('goes on with the next command after one fails', async () => {
    const queue = new LeadCommandQueue();
    const failing = gate();
    const a = queue.run('lead-1', () => failing.promise);
    const b = queue.run('lead-1', () => Promise.resolve('b'));
    failing.fail(new Error('refused'));
    await expect(a).rejects.toThrow('refused');
    await expect(b).resolves.toBe('b');
  });

  it('refuses a command at once when the lead’s lane is full, and only that lead', async () => {
    const queue = new LeadCommandQueue(2);
    const held = gate();
    const running = queue.run('hot', () => held.promise);
    const waiting = queue.run('hot', () => Promise.resolve());
    const refused = queue.run('hot', () => Promise.resolve());
    await expect(refused).rejects.toBeInstanceOf(LeadBusyError);
    await expect(refused).rejects.toMatchObject({ leadId: 'hot', retryAfterSeconds: 1 });
    await expect(queue.run('cold', () => Promise.resolve('ok'))).resolves.toBe('ok');
    expect(queue.pending('hot')).toBe(2);

    held.open();
    await Promise.all([running, waiting]);
    expect(queue.pending('hot')).toBe(0);
    await expect(queue.run('hot', () => Promise.resolve('again'))).resolves.toBe('again');
  });
});
