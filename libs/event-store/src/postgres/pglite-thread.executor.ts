/**
 * SqlExecutor over PGlite running on a worker thread (pglite-thread.worker.ts): the same
 * engine and the same one session as PgliteExecutor, but its WASM PostgreSQL no longer runs
 * on the caller's event loop, so HTTP, decisions and the projector overlap with the engine.
 * Every call is one message and one reply; a transaction is a begin, the work's statements
 * and an end that commits or rolls back — PGlite serialises them exactly as in-thread (other
 * statements wait for the open transaction). Only the built code has the compiled worker:
 * `pgliteThreadAvailable()` says whether this process can use it.
 * It must never resolve a statement before the engine has answered it (a commit's reply
 * means committed), nor leave the worker running after close().
 */
import { existsSync } from 'node:fs';
import * as path from 'node:path';
import { Worker } from 'node:worker_threads';
import type { SqlExecutor, SqlRow, SqlTransaction } from './sql-executor';
import {
  fromWire,
  type ThreadAnswer,
  type ThreadReply,
  type ThreadRequest,
} from './pglite-thread.wire';

// From source (the tests), Node runs the TypeScript worker itself (type stripping).
const WORKER_FILE = path.join(__dirname, `pglite-thread.worker${path.extname(__filename)}`);

/** Whether the built worker is there: what a process picks by default. */
export function pgliteThreadAvailable(): boolean {
  return path.extname(__filename) === '.js' && existsSync(WORKER_FILE);
}

type Request = ThreadRequest extends infer R
  ? R extends { id: number }
    ? Omit<R, 'id'>
    : never
  : never;

interface Pending {
  readonly resolve: (reply: ThreadAnswer) => void;
  readonly reject: (error: Error) => void;
}

export class PgliteThreadExecutor implements SqlExecutor {
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  private readonly listeners = new Map<number, () => void>();
  private lost: Error | null = null;
  private closed = false;

  private constructor(private readonly worker: Worker) {
    worker.on('message', (reply: ThreadReply) => this.receive(reply));
    worker.on('error', (error) => this.lose(error));
    worker.on('exit', (code) => this.lose(new Error(`PGlite's thread exited (${code})`)));
  }

  /** Starts the worker and resolves once its engine is open (`dataDir` undefined: memory). */
  static async start(dataDir: string | undefined): Promise<PgliteThreadExecutor> {
    const worker = new Worker(WORKER_FILE, { workerData: { dataDir } });
    const executor = new PgliteThreadExecutor(worker);
    try {
      await new Promise<void>((resolve, reject) =>
        executor.pending.set(0, { resolve: () => resolve(), reject }),
      );
    } catch (error) {
      await worker.terminate();
      throw error;
    }
    return executor;
  }

  async query(sql: string, params: readonly unknown[] = []): Promise<SqlRow[]> {
    return rowsOf(await this.call({ op: 'query', sql, params: [...params] }));
  }

  async exec(sql: string): Promise<void> {
    await this.call({ op: 'exec', sql });
  }

  async transaction<T>(work: (tx: SqlTransaction) => Promise<T>): Promise<T> {
    const { id: tx } = await this.call({ op: 'begin' });
    let result: T;
    try {
      result = await work({
        query: async (sql, params = []) =>
          rowsOf(await this.call({ op: 'query', sql, params: [...params], tx })),
        exec: async (sql) => {
          await this.call({ op: 'exec', sql, tx });
        },
        copyFrom: async (target, text) => {
          await this.call({ op: 'copyFrom', tx, target, text });
        },
      });
    } catch (error) {
      await this.call({ op: 'end', tx, commit: false }).catch(() => undefined);
      throw error;
    }
    await this.call({ op: 'end', tx, commit: true });
    return result;
  }

  /** As PgliteExecutor.copyOut: `setup`, then a COPY … TO '/dev/blob', in one transaction. */
  async copyOut(setup: string, params: readonly unknown[], copy: string): Promise<Blob> {
    const { bytes } = await this.call({ op: 'copyOut', setup, params: [...params], copy });
    return new Blob(bytes === undefined ? [] : [bytes]);
  }

  async listen(channel: string, onNotify: () => void): Promise<() => Promise<void>> {
    const { id } = await this.call({ op: 'listen', channel });
    this.listeners.set(id, onNotify);
    return async () => {
      this.listeners.delete(id);
      if (!this.closed && this.lost === null) await this.call({ op: 'unlisten', listenId: id });
    };
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    try {
      if (this.lost === null) await this.call({ op: 'close' });
    } finally {
      this.listeners.clear();
      await this.worker.terminate();
    }
  }

  private call(request: Request): Promise<ThreadAnswer> {
    if (this.lost !== null) return Promise.reject(this.lost);
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.worker.postMessage({ ...request, id });
    });
  }

  private receive(reply: ThreadReply): void {
    if ('notify' in reply) {
      this.listeners.get(reply.id)?.();
      return;
    }
    const pending = this.pending.get(reply.id);
    if (pending === undefined) return;
    this.pending.delete(reply.id);
    if (reply.ok) pending.resolve(reply);
    else pending.reject(fromWire(reply.error));
  }

  private lose(error: Error): void {
    if (this.closed && this.pending.size === 0) return;
    this.lost ??= error;
    for (const pending of this.pending.values()) pending.reject(error);
    this.pending.clear();
  }
}

/**
 * The rows as this realm's values. A Date arrives from the message port built by the main
 * realm's constructor; code loaded in another realm (a test runner's VM context) would not
 * recognise it with `instanceof`, so such a date is rebuilt here.
 */
function rowsOf(answer: ThreadAnswer): SqlRow[] {
  const rows = answer.rows ?? [];
  for (const row of rows) {
    for (const [key, value] of Object.entries(row)) {
      if (
        typeof value === 'object' &&
        value !== null &&
        !(value instanceof Date) &&
        isDate(value)
      ) {
        row[key] = new Date(value.getTime());
      }
    }
  }
  return rows;
}

function isDate(value: object): value is Date {
  return Object.prototype.toString.call(value) === '[object Date]';
}
