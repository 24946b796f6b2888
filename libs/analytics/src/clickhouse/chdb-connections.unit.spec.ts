import type { ClickHouseClientConfigOptions } from '@clickhouse/client';
import { leastBusy, oneAtATime } from './clickhouse.client';

type Connection = NonNullable<ClickHouseClientConfigOptions['connection']>;

/**
 * A connection whose statements settle when the spec says (`release.get(query)!()`, or with
 * `false` to fail): which one ran what, in order.
 */
function heldConnection(name: string, ran: string[], release: Map<string, (ok?: boolean) => void>) {
  const statement = (params: { query: string }) =>
    new Promise<never>((resolve, reject) => {
      ran.push(`${name}: ${params.query}`);
      release.set(params.query, (ok = true) =>
        ok ? resolve(undefined as never) : reject(new Error(`${params.query} failed`)),
      );
    });
  return {
    ping: () => Promise.resolve({ success: true }),
    query: statement,
    insert: statement,
    command: statement,
    exec: statement,
    close: () => Promise.resolve(),
  } as unknown as Connection;
}

const params = (query: string) => ({ query }) as Parameters<Connection['query']>[0];

describe('leastBusy', () => {
  it('sends each statement to the connection with the fewest in flight', async () => {
    const ran: string[] = [];
    const release = new Map<string, () => void>();
    const pooled = leastBusy([
      heldConnection('a', ran, release),
      heldConnection('b', ran, release),
    ]);
    const long = pooled.query(params('long audit'));
    const read = pooled.query(params('funnel read'));
    expect(ran).toEqual(['a: long audit', 'b: funnel read']);
    release.get('funnel read')!();
    await read;
    // b is free again while a still runs the long one.
    const next = pooled.command(params('next read'));
    expect(ran.at(-1)).toBe('b: next read');
    release.get('next read')!();
    release.get('long audit')!();
    await Promise.all([long, next]);
    // Both free: the first on a tie.
    const last = pooled.exec(params('last'));
    expect(ran.at(-1)).toBe('a: last');
    release.get('last')!();
    await last;
  });
});

const turn = () => new Promise((resolve) => setImmediate(resolve));

describe('oneAtATime', () => {
  it('hands the connection one statement at a time, in the order they came', async () => {
    const started: string[] = [];
    const settle = new Map<string, (ok?: boolean) => void>();
    const connection = oneAtATime(heldConnection('c', started, settle));
    const first = connection.query(params('first'));
    const second = connection.exec(params('second'));
    const third = connection.command(params('third'));
    await turn();
    expect(started).toEqual(['c: first']);
    settle.get('first')!();
    await first;
    await turn();
    expect(started).toEqual(['c: first', 'c: second']);
    settle.get('second')!();
    await second;
    await turn();
    expect(started).toEqual(['c: first', 'c: second', 'c: third']);
    settle.get('third')!();
    await third;
  });

  it('goes on with the next statement after one fails, and reports the failure', async () => {
    const started: string[] = [];
    const settle = new Map<string, (ok?: boolean) => void>();
    const connection = oneAtATime(heldConnection('c', started, settle));
    const failing = connection.exec(params('failing'));
    const next = connection.query(params('next'));
    await turn();
    settle.get('failing')!(false);
    await expect(failing).rejects.toThrow('failing failed');
    await turn();
    expect(started).toEqual(['c: failing', 'c: next']);
    settle.get('next')!();
    await expect(next).resolves.toBeUndefined();
  });
});
