/** The Notifier contract, run against every adapter: idempotent by key, loud on failure. */
import { PassThrough, Writable } from 'node:stream';
import { createJsonLinesNotifier } from './json-lines.notifier';
import { createMemoryNotifier } from './memory.notifier';
import type { Notifier } from './notifier.port';
import type { Notification } from './sla-watch.state';

interface Subject {
  readonly notifier: Notifier;
  /** What reached the channel, in order. */
  delivered(): Notification[];
}

const adapters: [string, () => Subject][] = [
  [
    'json-lines',
    () => {
      const out = new PassThrough();
      const lines: string[] = [];
      out.on('data', (chunk: Buffer) => lines.push(...chunk.toString('utf8').split('\n')));
      return {
        notifier: createJsonLinesNotifier(out),
        delivered: () => lines.filter(Boolean).map((line) => JSON.parse(line) as Notification),
      };
    },
  ],
  [
    'memory',
    () => {
      const notifier = createMemoryNotifier();
      return { notifier, delivered: () => [...notifier.delivered] };
    },
  ],
];

const notice = (key: string): Notification => ({
  kind: 'hand-off',
  key,
  leadId: 'lead-1',
  owner: 'lena',
  team: null,
  handedOffAt: '2026-03-02T08:00:00Z',
  slaDueAt: '2026-03-02T12:00:00Z',
});

describe.each(adapters)('Notifier contract: %s', (_name, subject) => {
  it('delivers a notification and says so', async () => {
    const { notifier, delivered } = subject();
    await expect(notifier.notify(notice('evt-1'))).resolves.toBe('sent');
    expect(delivered()).toEqual([notice('evt-1')]);
  });

  it('delivers a key once, however often it is offered', async () => {
    const { notifier, delivered } = subject();
    await notifier.notify(notice('evt-1'));
    await expect(notifier.notify(notice('evt-1'))).resolves.toBe('duplicate');
    await notifier.notify({ ...notice('lead-1:2026-03-02T12:00:00Z'), kind: 'sla-missed' });
    expect(delivered().map((n) => n.key)).toEqual(['evt-1', 'lead-1:2026-03-02T12:00:00Z']);
  });
});

describe('json-lines notifier', () => {
  it('throws when its stream fails, and does not take the key as delivered', async () => {
    const out = new Writable({ write: (_chunk, _encoding, done) => done(new Error('disk full')) });
    out.on('error', () => undefined);
    const notifier = createJsonLinesNotifier(out);
    await expect(notifier.notify(notice('evt-1'))).rejects.toThrow('disk full');
    // Not 'duplicate': the next offer tries the channel again (and fails again here).
    await expect(notifier.notify(notice('evt-1'))).rejects.toThrow();
  });
});
