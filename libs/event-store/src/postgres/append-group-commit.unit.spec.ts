import { WrongExpectedRevisionError } from '../event-store.errors';
import type { AppendResult } from '../event-store.port';
import {
  type AppendOutcome,
  AppendGroupCommit,
  type AppendSender,
  type PendingAppend,
} from './append-group-commit';

/** A sender whose calls stay open until the test settles them. */
class HeldSender implements AppendSender {
  readonly calls: {
    kind: 'one' | 'group';
    streams: string[];
    settle: (value: unknown) => void;
    fail: (error: unknown) => void;
  }[] = [];

  one(append: PendingAppend): Promise<AppendResult> {
    return new Promise((resolve, reject) => {
      this.calls.push({
        kind: 'one',
        streams: [append.streamId],
        settle: (value) => resolve(value as AppendResult),
        fail: reject,
      });
    });
  }

  group(appends: readonly PendingAppend[]): Promise<AppendOutcome[] | null> {
    return new Promise((resolve, reject) => {
      this.calls.push({
        kind: 'group',
        streams: appends.map((append) => append.streamId),
        settle: (value) => resolve(value as AppendOutcome[] | null),
        fail: reject,
      });
    });
  }
}

const pending = (streamId: string): PendingAppend => ({ streamId, expected: 'any', events: '[]' });
const result = (revision: number): AppendResult => ({
  nextExpectedRevision: BigInt(revision),
  lastGlobalPosition: BigInt(100 + revision),
});
const flush = () => new Promise((resolve) => setImmediate(resolve));

describe('AppendGroupCommit', () => {
  it('sends the appends of one turn of the event loop together, at the end of the turn', async () => {
    const sender = new HeldSender();
    const appends = new AppendGroupCommit(sender, { maxInFlight: 2, maxGroup: 10 });
    const all = ['a', 'b', 'c'].map((stream) => appends.append(pending(stream)));
    expect(sender.calls).toEqual([]);
    await flush();
    expect(sender.calls.map((call) => [call.kind, call.streams])).toEqual([
      ['group', ['a', 'b', 'c']],
    ]);
    const alone = appends.append(pending('d'));
    await flush();
    expect(sender.calls[1]).toMatchObject({ kind: 'one', streams: ['d'] });
    sender.calls[0]!.settle([0, 1, 2].map((i) => ({ ok: true, result: result(i) })));
    sender.calls[1]!.settle(result(3));
    await expect(Promise.all([...all, alone])).resolves.toEqual([0, 1, 2, 3].map(result));
  });

  it('sends an append alone while a slot is free, and groups those that arrive meanwhile', async () => {
    const sender = new HeldSender();
    const appends = new AppendGroupCommit(sender, { maxInFlight: 1, maxGroup: 10 });
    const first = appends.append(pending('a'));
    await flush();
    const later = ['b', 'c', 'd'].map((stream) => appends.append(pending(stream)));
    await flush();
    expect(sender.calls.map((call) => call.streams)).toEqual([['a']]);

    sender.calls[0]!.settle(result(0));
    await expect(first).resolves.toEqual(result(0));
    await flush();
    expect(sender.calls[1]).toMatchObject({ kind: 'group', streams: ['b', 'c', 'd'] });

    const conflict = new WrongExpectedRevisionError('c', '3', 1n);
    sender.calls[1]!.settle([
      { ok: true, result: result(1) },
      { ok: false, error: conflict },
      { ok: true, result: result(2) },
    ]);
    const [b, c, d] = await Promise.allSettled(later);
    expect(b).toEqual({ status: 'fulfilled', value: result(1) });
    expect(c).toEqual({ status: 'rejected', reason: conflict });
    expect(d).toEqual({ status: 'fulfilled', value: result(2) });
  });

  it('never puts two appends of one stream in a group: the second waits for the next', async () => {
    const sender = new HeldSender();
    const appends = new AppendGroupCommit(sender, { maxInFlight: 1, maxGroup: 10 });
    const busy = appends.append(pending('busy'));
    await flush();
    const all = [
      busy,
      appends.append(pending('x')),
      appends.append(pending('x')),
      appends.append(pending('y')),
    ];
    sender.calls[0]!.settle(result(0));
    await flush();
    expect(sender.calls[1]!.streams).toEqual(['x', 'y']);
    sender.calls[1]!.settle([
      { ok: true, result: result(1) },
      { ok: true, result: result(2) },
    ]);
    await flush();
    expect(sender.calls[2]).toMatchObject({ kind: 'one', streams: ['x'] });
    sender.calls[2]!.settle(result(3));
    await expect(Promise.all(all)).resolves.toEqual([result(0), result(1), result(3), result(2)]);
  });

  it('keeps at most maxInFlight groups of at most maxGroup appends in flight', async () => {
    const sender = new HeldSender();
    const appends = new AppendGroupCommit(sender, { maxInFlight: 2, maxGroup: 2 });
    for (const stream of ['a', 'b', 'c', 'd', 'e']) void appends.append(pending(stream));
    await flush();
    expect(sender.calls.map((call) => call.streams)).toEqual([
      ['a', 'b'],
      ['c', 'd'],
    ]);
    expect(appends.queued).toBe(1);
  });

  it('sends each append again on its own when the server refused the group whole', async () => {
    const sender = new HeldSender();
    const appends = new AppendGroupCommit(sender, { maxInFlight: 1, maxGroup: 10 });
    const first = appends.append(pending('a'));
    await flush();
    const grouped = [appends.append(pending('b')), appends.append(pending('c'))];
    await flush();
    sender.calls[0]!.settle(result(0));
    await first;
    await flush();
    sender.calls[1]!.settle(null);
    await flush();
    expect(sender.calls.slice(2).map((call) => [call.kind, call.streams])).toEqual([
      ['one', ['b']],
      ['one', ['c']],
    ]);
    const refused = new Error('b alone is refused');
    sender.calls[2]!.fail(refused);
    sender.calls[3]!.settle(result(5));
    const [b, c] = await Promise.allSettled(grouped);
    expect(b).toEqual({ status: 'rejected', reason: refused });
    expect(c).toEqual({ status: 'fulfilled', value: result(5) });
  });

  it('fails every append of a group whose connection failed, and keeps going', async () => {
    const sender = new HeldSender();
    const appends = new AppendGroupCommit(sender, { maxInFlight: 1, maxGroup: 10 });
    const first = appends.append(pending('a'));
    await flush();
    const grouped = [appends.append(pending('b')), appends.append(pending('c'))];
    await flush();
    sender.calls[0]!.settle(result(0));
    await first;
    await flush();
    const lost = new Error('connection lost');
    sender.calls[1]!.fail(lost);
    for (const outcome of await Promise.allSettled(grouped)) {
      expect(outcome).toEqual({ status: 'rejected', reason: lost });
    }
    const next = appends.append(pending('d'));
    await flush();
    sender.calls[2]!.settle(result(1));
    await expect(next).resolves.toEqual(result(1));
  });

  it('sends a new lead key with its own append, in the group and when sent again alone', async () => {
    const seen: (readonly [string, string | undefined])[][] = [];
    const keyOf = (append: PendingAppend) => [append.streamId, append.key?.leadId] as const;
    const appends = new AppendGroupCommit(
      {
        one: (append) => {
          seen.push([keyOf(append)]);
          return Promise.resolve(result(0));
        },
        group: (group) => {
          seen.push(group.map(keyOf));
          return Promise.resolve(null); // refused whole: each goes again on its own
        },
      },
      { maxInFlight: 1, maxGroup: 10 },
    );
    const key = { leadId: 'lead-1', wrappedKey: 'd3JhcHBlZA==', wrappedBy: 'm1' };
    await Promise.all([appends.append({ ...pending('a'), key }), appends.append(pending('b'))]);
    expect(seen).toEqual([
      [
        ['a', 'lead-1'],
        ['b', undefined],
      ],
      [['a', 'lead-1']],
      [['b', undefined]],
    ]);
  });
});
