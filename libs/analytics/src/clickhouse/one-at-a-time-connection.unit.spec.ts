import type { ClickHouseClientConfigOptions } from '@clickhouse/client';
import { oneAtATime } from './clickhouse.client';

type Connection = NonNullable<ClickHouseClientConfigOptions['connection']>;

/** A connection whose statements settle when the spec says; `started` lists them in order. */
function heldConnection(started: string[], settle: Map<string, (ok: boolean) => void>) {
  const statement = (params: { query: string }) =>
    new Promise<never>((resolve, reject) => {
      started.push(params.query);
      settle.set(params.query, (ok) =>
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
const turn = () => new Promise((resolve) => setImmediate(resolve));

describe('oneAtATime', () => {
  it('hands the connection one statement at a time, in the order they came', async () => {
    const started: string[] = [];
    const settle = new Map<string, (ok: boolean) => void>();
    const connection = oneAtATime(heldConnection(started, settle));
    const first = connection.query(params('first'));
    const second = connection.exec(params('second'));
    const third = connection.command(params('third'));
    await turn();
    expect(started).toEqual(['first']);
    settle.get('first')!(true);
    await first;
    await turn();
    expect(started).toEqual(['first', 'second']);
    settle.get('second')!(true);
    await second;
    await turn();
    expect(started).toEqual(['first', 'second', 'third']);
    settle.get('third')!(true);
    await third;
  });

  it('goes on with the next statement after one fails, and reports the failure', async () => {
    const started: string[] = [];
    const settle = new Map<string, (ok: boolean) => void>();
    const connection = oneAtATime(heldConnection(started, settle));
    const failing = connection.exec(params('failing'));
    const next = connection.query(params('next'));
    await turn();
    settle.get('failing')!(false);
    await expect(failing).rejects.toThrow('failing failed');
    await turn();
    expect(started).toEqual(['failing', 'next']);
    settle.get('next')!(true);
    await expect(next).resolves.toBeUndefined();
  });
});
