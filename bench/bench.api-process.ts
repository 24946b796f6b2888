/**
 * The API under benchmark: the built `dist/apps/funnel-api/src/main.js` as its own process,
 * pointed at the benchmark's event store with a fresh analytics directory (or a kept one),
 * sampled for RSS every 250 ms from /proc, and reached over HTTP only (black box).
 * It must never leave the process running or delete a directory it did not create.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import {
  createWriteStream,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
} from 'node:fs';
import { symlinkSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { benchAuthEnv, benchAuthorization } from './bench.auth';
import { type BenchStore, storeEnv } from './bench.options';

const ROOT = path.resolve(__dirname, '../..');
const API_MAIN = path.join(ROOT, 'dist/apps/funnel-api/src/main.js');

export interface Health {
  readonly status: string;
  readonly eventStore: { readonly headPosition: string | null };
  readonly projector: {
    readonly mode: string;
    readonly position?: string | null;
    readonly caughtUp?: boolean;
    readonly failure?: string | null;
  };
}

export interface ApiOptions {
  readonly store: BenchStore;
  /** TANDEM_DATA_DIR; `null`: a fresh temporary directory, removed on stop. */
  readonly runDir: string | null;
  readonly profileDir?: string | null;
  readonly env?: Record<string, string>;
}

/**
 * Who a benchmark request is: a bearer token of the benchmark's own identity provider
 * (bench.auth.ts), the one place to change when the API's authentication changes.
 */
export function identityHeaders(role: string, actor: string): Record<string, string> {
  return { authorization: benchAuthorization(role, actor) };
}

export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly body: string,
    what: string,
  ) {
    super(`${what}: HTTP ${status} ${body.slice(0, 300)}`);
  }
}

export class ApiProcess {
  readonly rss: RssSampler;
  /**
   * When the process was spawned and when it first answered HTTP, on /health/live (ms since
   * epoch). Not /health: that one reads the dead letters from ClickHouse, and behind a
   * catch-up's first staging statement it first answered 5–7.5 s after the API listened (load
   * 9–13), while the catch-up had begun in the bootstrap, just before the API listened.
   */
  readonly spawnedAt: number;
  readyAt = 0;

  private constructor(
    readonly url: string,
    readonly runDir: string,
    private readonly ownsRunDir: boolean,
    private readonly child: ChildProcess,
    readonly logFile: string,
  ) {
    this.spawnedAt = Date.now();
    this.rss = new RssSampler(child.pid ?? 0);
  }

  static async start(options: ApiOptions): Promise<ApiProcess> {
    if (!existsSync(API_MAIN)) throw new Error(`${API_MAIN} is missing: run npm run build first`);
    const ownsRunDir = options.runDir === null;
    const runDir = options.runDir ?? mkdtempSync(path.join(tmpdir(), 'tandem-bench-'));
    mkdirSync(runDir, { recursive: true });
    if (options.store.kind === 'pglite') {
      // The API finds PGlite at <TANDEM_DATA_DIR>/pglite: point it at the benchmark's store.
      const link = path.join(runDir, 'pglite');
      if (!existsSync(link)) symlinkSync(path.resolve(options.store.dataDir, 'pglite'), link);
    }
    const port = await freePort();
    const logFile = path.join(runDir, `api-${Date.now()}.log`);
    const log = createWriteStream(logFile);
    const profile =
      options.profileDir === null || options.profileDir === undefined
        ? []
        : ['--cpu-prof', `--cpu-prof-dir=${path.resolve(options.profileDir)}`];
    const child = spawn(process.execPath, [...profile, API_MAIN], {
      cwd: ROOT,
      env: {
        ...process.env,
        ...storeEnv(options.store),
        TANDEM_DATA_DIR: runDir,
        TANDEM_HOST: '127.0.0.1',
        TANDEM_PORT: String(port),
        // Quiet by default; TANDEM_BENCH_API_LOG_LEVEL=debug keeps the projector's per-batch
        // phases in the API's log (api-*.log in the run directory).
        TANDEM_LOG_LEVEL: process.env.TANDEM_BENCH_API_LOG_LEVEL ?? 'warn',
        ...benchAuthEnv(),
        ...options.env,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout?.pipe(log);
    child.stderr?.pipe(log);
    const api = new ApiProcess(`http://127.0.0.1:${port}`, runDir, ownsRunDir, child, logFile);
    api.rss.start();
    try {
      await waitUntil(
        async () => {
          if (child.exitCode !== null) {
            throw new Error(`the API exited with ${child.exitCode}: see ${logFile}`);
          }
          return (await api.live().catch(() => null)) !== null;
        },
        { timeoutMs: 120_000, what: 'the API to answer /health/live' },
      );
    } catch (error) {
      await api.stop();
      throw error;
    }
    api.readyAt = Date.now();
    return api;
  }

  get pid(): number {
    return this.child.pid ?? 0;
  }

  /** Liveness: answers once the API listens, without touching the store or ClickHouse. */
  async live(): Promise<unknown> {
    return this.get('/health/live');
  }

  async health(): Promise<Health> {
    return (await this.get('/health')) as Health;
  }

  async get(pathAndQuery: string): Promise<unknown> {
    const response = await fetch(`${this.url}${pathAndQuery}`, {
      headers: identityHeaders('ops', 'bench'),
    });
    const text = await response.text();
    if (!response.ok) throw new HttpError(response.status, text, `GET ${pathAndQuery}`);
    return JSON.parse(text) as unknown;
  }

  async post(pathAndQuery: string, body: unknown, role = 'ops', actor = 'bench'): Promise<unknown> {
    const response = await fetch(`${this.url}${pathAndQuery}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...identityHeaders(role, actor) },
      body: JSON.stringify(body),
    });
    const text = await response.text();
    if (!response.ok) throw new HttpError(response.status, text, `POST ${pathAndQuery}`);
    return text === '' ? null : (JSON.parse(text) as unknown);
  }

  /**
   * Polls /health until the projector has projected the store's head (and nothing failed);
   * returns the head position.
   */
  async projectorCaughtUp(timeoutMs: number): Promise<bigint> {
    let head = 0n;
    await waitUntil(
      async () => {
        const health = await this.health();
        if (health.projector.failure) {
          throw new Error(`projection failed: ${health.projector.failure}`);
        }
        head = BigInt(health.eventStore.headPosition ?? '0');
        const position = BigInt(health.projector.position ?? '0');
        return health.projector.caughtUp === true && position >= head;
      },
      { timeoutMs, what: 'the projector to catch up', intervalMs: 250 },
    );
    return head;
  }

  /** Polls GET /ops/rules until the active rule set is 'ready'. */
  async activeRuleSetReady(timeoutMs: number): Promise<void> {
    await waitUntil(
      async () => {
        const rules = (await this.get('/ops/rules')) as RulesList;
        const active = rules.active;
        if (active === null) return false;
        return rules.sets.some(
          (set) =>
            set.rulesVersion === active.rulesVersion &&
            set.definitionHash === active.definitionHash &&
            set.status === 'ready',
        );
      },
      { timeoutMs, what: 'the active rule set to be ready', intervalMs: 250 },
    );
  }

  /**
   * Polls GET /health/ready until its `views` check passes: the views answer from a snapshot of
   * the per-lead funnel (or need none). Its other checks are left to the caller.
   */
  async viewsReady(timeoutMs: number): Promise<void> {
    await waitUntil(
      async () => {
        const response = await fetch(`${this.url}/health/ready`);
        const readiness = (await response.json()) as { failed: readonly string[] };
        return !readiness.failed.includes('views');
      },
      { timeoutMs, what: 'the views to answer from their snapshot', intervalMs: 250 },
    );
  }

  /** SIGTERM (lets a CPU profile be written), SIGKILL after 30 s; removes a temporary run dir. */
  async stop(): Promise<void> {
    this.rss.stop();
    const child = this.child;
    if (child.exitCode === null && child.signalCode === null) {
      const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
      await exited;
      clearTimeout(timer);
    }
    if (this.ownsRunDir) rmSync(this.runDir, { recursive: true, force: true });
  }
}

interface RulesList {
  readonly active: { rulesVersion: number; definitionHash: string } | null;
  readonly sets: readonly { rulesVersion: number; definitionHash: string; status: string }[];
}

/** VmRSS of a process every 250 ms (Linux /proc), keeping the peak and the latest. */
export class RssSampler {
  peakBytes = 0;
  lastBytes = 0;
  private timer: NodeJS.Timeout | null = null;

  constructor(private readonly pid: number) {}

  start(): void {
    this.sample();
    this.timer = setInterval(() => this.sample(), 250);
    this.timer.unref();
  }

  /** Forgets the peak so far (to measure one phase). */
  resetPeak(): void {
    this.peakBytes = this.lastBytes;
  }

  stop(): void {
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
  }

  private sample(): void {
    try {
      const status = readFileSync(`/proc/${this.pid}/status`, 'utf8');
      const kb = /VmRSS:\s+(\d+) kB/.exec(status)?.[1];
      if (kb === undefined) return;
      this.lastBytes = Number(kb) * 1024;
      this.peakBytes = Math.max(this.peakBytes, this.lastBytes);
    } catch {
      // The process is gone (or /proc is not there): nothing to sample.
    }
  }
}

export async function waitUntil(
  condition: () => Promise<boolean>,
  options: { timeoutMs: number; what: string; intervalMs?: number },
): Promise<void> {
  const deadline = Date.now() + options.timeoutMs;
  for (;;) {
    if (await condition()) return;
    if (Date.now() > deadline) {
      throw new Error(`timed out after ${options.timeoutMs / 1000} s waiting for ${options.what}`);
    }
    await new Promise((resolve) => setTimeout(resolve, options.intervalMs ?? 100));
  }
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}
