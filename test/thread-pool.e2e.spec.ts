/**
 * The API process, started from the built `dist/` as production starts it, sizes libuv's
 * thread pool before anything uses it (libs/config/src/threadpool.ts): every embedded chDB
 * statement holds one of those threads while it runs, and libuv's default of 4 is fewer than
 * the API's chDB connections (docs/adr/0014). An operator's own UV_THREADPOOL_SIZE wins.
 * Counted from outside: the process's threads named `libuv-worker` in /proc.
 */
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { eventually } from './support/eventually';
import { pgliteUnavailableReason } from './support/postgres';
import { startWorker } from './support/worker-process';

jest.setTimeout(300_000);

const unavailable =
  process.platform !== 'linux'
    ? 'threads are counted in /proc (Linux only)'
    : pgliteUnavailableReason();
const describeWhenAble = unavailable === null ? describe : describe.skip;
if (unavailable !== null) console.log(`thread pool spec skipped: ${unavailable}`);

/** How many of the process's threads are libuv's pool. */
async function poolThreads(pid: number): Promise<number> {
  let count = 0;
  for (const task of await readdir(`/proc/${pid}/task`)) {
    const name = await readFile(`/proc/${pid}/task/${task}/comm`, 'utf8').catch(() => '');
    if (name.trim() === 'libuv-worker') count += 1;
  }
  return count;
}

describeWhenAble("the API's thread pool", () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'tandem-thread-pool-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  async function poolOfAnApi(name: string, size: string | undefined): Promise<number> {
    // Whatever the test runner's own environment says, the variable is this case's.
    const inherited = process.env.UV_THREADPOOL_SIZE;
    delete process.env.UV_THREADPOOL_SIZE;
    try {
      const worker = await startWorker(
        'funnel-api',
        {
          TANDEM_EVENT_STORE: 'pglite',
          TANDEM_DATA_DIR: join(dir, name),
          TANDEM_LOG_LEVEL: 'warn',
          ...(size === undefined ? {} : { UV_THREADPOOL_SIZE: size }),
        },
        120_000,
      );
      try {
        // The pool starts whole at its first use (chDB's first statement, at the latest).
        return await eventually(
          async () => {
            const threads = await poolThreads(worker.process.pid!);
            return threads > 0 ? threads : undefined;
          },
          'the API process has started its thread pool',
          60_000,
        );
      } finally {
        await worker.kill('SIGTERM');
      }
    } finally {
      if (inherited !== undefined) process.env.UV_THREADPOOL_SIZE = inherited;
    }
  }

  it('has 16 threads, more than its chDB connections, when nothing says otherwise', async () => {
    expect(await poolOfAnApi('default', undefined)).toBe(16);
  });

  it("keeps the operator's UV_THREADPOOL_SIZE", async () => {
    expect(await poolOfAnApi('operator', '6')).toBe(6);
  });
});
