import type { ClickHouseClientConfigOptions } from '@clickhouse/client';
import { leastBusy } from './clickhouse.client';

type Connection = NonNullable<ClickHouseClientConfigOptions['connection']>;

/** A connection whose statements settle when the spec says: which one ran what, in order. */
function heldConnection(name: string, ran: string[], release: Map<string, () => void>) {
  const statement = (params: { query: string }) =>
    new Promise<never>((resolve) => {
      ran.push(`${name}: ${params.query}`);
      release.set(params.query, () => resolve(undefined as never));
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

describe('leastBusy', () => {
  it('sends each statement to the connection with the fewest in flight', async () => {
    const ran: string[] = [];
    const release = new Map<string, () => void>();
    const pooled = leastBusy([
      heldConnection('a', ran, release),
      heldConnection('b', ran, release),
    ]);
    const params = (query: string) => ({ query }) as Parameters<Connection['query']>[0];
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
