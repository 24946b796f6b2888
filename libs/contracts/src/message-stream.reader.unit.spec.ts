/**
 * The stream reader keeps every message across the pause/resume a client does around a
 * rebalance, and hands over what is buffered in batches of at most `max`.
 */
import { Readable } from 'node:stream';
import { streamReader } from './message-stream.reader';

describe('streamReader', () => {
  it('takes what is buffered, at most max at a time, then waits for more', async () => {
    const stream = new Readable({ objectMode: true, read: () => undefined });
    const next = streamReader<number>(stream, 3);
    for (const n of [1, 2, 3, 4]) stream.push(n);
    expect(await next()).toEqual([1, 2, 3]);
    expect(await next()).toEqual([4]);
    const later = next();
    stream.push(5);
    expect(await later).toEqual([5]);
    stream.push(null);
    expect(await next()).toBeNull();
  });

  it('loses nothing when the stream is paused and resumed between reads (a rebalance)', async () => {
    const stream = new Readable({ objectMode: true, read: () => undefined });
    const next = streamReader<number>(stream, 100);
    stream.push(1);
    expect(await next()).toEqual([1]);
    // What the client does to its stream around a rebalance, while the reader is busy.
    stream.pause();
    stream.push(2);
    stream.resume();
    stream.push(3);
    await new Promise((resolve) => setImmediate(resolve));
    expect(await next()).toEqual([2, 3]);
  });
});
