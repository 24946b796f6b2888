import type { ApiClient } from '../api-client';
import { recordingCliIo as recordingIo } from '../testing/recording-io';
import { rebuildProjections } from './rebuild.command';

/** /health answers in turn (the last one repeats); POST /ops/rebuild accepts. */
function fakeApi(healths: unknown[]) {
  const posts: string[] = [];
  const api: Pick<ApiClient, 'get' | 'post'> = {
    get: <T>() => Promise.resolve((healths.length > 1 ? healths.shift() : healths[0]) as T),
    post: <T>(path: string) => {
      posts.push(path);
      return Promise.resolve({} as T);
    },
  };
  return { api, posts };
}

const health = (
  position: number,
  caughtUp: boolean,
  failure: string | null = null,
  viewsFromSnapshot: boolean | null = true,
) => ({
  eventStore: { headPosition: '1000' },
  projector: { position: String(position), caughtUp, failure, viewsFromSnapshot },
});

describe('tandem rebuild', () => {
  const healths = () => [
    ...Array.from({ length: 12 }, (_, i) => health(i * 50, false)),
    health(1000, true),
  ];

  it('follows the rebuild on stderr and prints the result on stdout', async () => {
    const { api, posts } = fakeApi(healths());
    const t = recordingIo();
    expect(await rebuildProjections(api, {}, t.io)).toBe(0);
    expect(posts).toEqual(['/ops/rebuild']);
    expect(t.err.length).toBeGreaterThan(0);
    expect(t.err.every((line) => /^rebuilding: \d+\/1000 \(\d+\/s, ETA \d+ s\)$/.test(line))).toBe(
      true,
    );
    expect(t.out).toEqual(['rebuilt: 1000 positions in 3 s']);
  });

  it('waits at the head until the views answer from their snapshot, saying so', async () => {
    const { api } = fakeApi([
      health(500, false, null, false),
      ...Array.from({ length: 12 }, () => health(1000, true, null, false)),
      health(1000, true, null, true),
    ]);
    const t = recordingIo();
    expect(await rebuildProjections(api, { json: true }, t.io)).toBe(0);
    expect(t.err.at(-1)).toBe("rebuilding: 1000/1000, the views' snapshot being taken");
    expect(t.out.map((line) => JSON.parse(line) as unknown)).toEqual([
      { ok: true, position: 1000, head: 1000, seconds: 3.3, failure: null },
    ]);
    // An API that keeps no snapshot (null), or does not say (an older one): at the head is done.
    for (const views of [null, undefined]) {
      const quiet = recordingIo();
      const older = fakeApi([
        {
          ...health(1000, true),
          projector: { position: '1000', caughtUp: true, viewsFromSnapshot: views },
        },
      ]);
      expect(await rebuildProjections(older.api, { json: true }, quiet.io)).toBe(0);
    }
  });

  it('with --json prints exactly the result on stdout', async () => {
    const { api } = fakeApi(healths());
    const t = recordingIo();
    expect(await rebuildProjections(api, { json: true }, t.io)).toBe(0);
    expect(t.out.map((line) => JSON.parse(line) as unknown)).toEqual([
      { ok: true, position: 1000, head: 1000, seconds: 3, failure: null },
    ]);
  });

  it('exits 1 when the projector reports a failure, or the rebuild takes too long', async () => {
    const failed = recordingIo();
    const broken = fakeApi([health(10, false, 'ClickHouse is read-only')]).api;
    expect(await rebuildProjections(broken, { json: true }, failed.io)).toBe(1);
    expect(JSON.parse(failed.out[0]!)).toMatchObject({
      ok: false,
      failure: 'ClickHouse is read-only',
    });
    expect(failed.err.at(-1)).toBe('rebuild failed: ClickHouse is read-only');
    const slow = recordingIo();
    expect(
      await rebuildProjections(fakeApi([health(1, false)]).api, { timeoutMs: 1000 }, slow.io),
    ).toBe(1);
    expect(slow.out).toEqual([]);
    expect(slow.err.at(-1)).toBe('rebuild failed: did not finish within 1 s');
  });
});
