/**
 * Ready-to-use PostgreSQL event stores: a server one over a node-postgres pool and an
 * embedded one over PGlite (a data directory, or memory for tests and demos). Each
 * factory opens the engine and runs `init()`, so what it returns can append at once.
 * It must never leave an engine open when it fails.
 */
import { mkdir, realpath } from 'node:fs/promises';
import { PGlite, type PGliteInterface } from '@electric-sql/pglite';
import { PgPoolExecutor } from './pg-pool.executor';
import { PostgresEventStore } from './postgres-event-store';
import type { LogSliceExport } from '../log-slices/log-slice-export.port';
import { PgliteExecutor } from './pglite.executor';
import { lockPgliteDataDir } from './pglite-data-dir.lock';
import { PgliteLogSlices } from './pglite-log-slices';
import { PgliteThreadExecutor } from './pglite-thread.executor';
import { postgresStoreNames, type PostgresStoreNames } from './postgres-store-names';
import type { SqlExecutor } from './sql-executor';

interface CommonOptions {
  /** Schema holding the store's tables. Default `tandem`. */
  readonly schema?: string;
  /** Poll fallback of live subscriptions, in ms. Default 500. */
  readonly pollIntervalMs?: number;
}

export interface CreatePostgresEventStoreOptions extends CommonOptions {
  readonly connectionString: string;
  /** Pooled connections for appends and reads (LISTEN uses one more). Default 10. */
  readonly poolSize?: number;
}

interface PgliteOnDisk {
  /** Directory of the embedded database; created (with its parents) if missing. */
  readonly dataDir: string;
  /**
   * Run the engine on a worker thread (pglite-thread.executor.ts), off the caller's event
   * loop. Default false; createEventStore turns it on where the built worker exists.
   */
  readonly thread?: boolean;
}

interface PgliteInMemory {
  readonly memory: true;
}

interface PgliteInstance {
  /** An instance the caller owns: the store will not close it. */
  readonly db: PGliteInterface;
}

export type CreatePgliteEventStoreOptions = CommonOptions &
  (PgliteOnDisk | PgliteInMemory | PgliteInstance);

export async function createPostgresEventStore(
  options: CreatePostgresEventStoreOptions,
): Promise<PostgresEventStore> {
  postgresStoreNames(options.schema); // refuse a bad schema before opening anything
  const executor = new PgPoolExecutor({
    connectionString: options.connectionString,
    poolSize: options.poolSize,
  });
  return initialised({ executor }, options);
}

export async function createPgliteEventStore(
  options: CreatePgliteEventStoreOptions,
): Promise<PostgresEventStore> {
  postgresStoreNames(options.schema); // refuse a bad schema before booting the engine
  if ('db' in options) {
    return initialised(pgliteEngine(new PgliteExecutor(options.db, false)), options);
  }
  let dataDir: string | undefined;
  let release = (): Promise<void> => Promise.resolve();
  if ('dataDir' in options) {
    // PGlite creates only the last path segment; a fresh checkout has no parent yet.
    await mkdir(options.dataDir, { recursive: true });
    // Its file system cannot open a store through a symbolic link: open what the link names.
    dataDir = await realpath(options.dataDir);
    // Before the engine reads a page: another process on these files would lose our writes.
    release = await lockPgliteDataDir(dataDir);
  }
  try {
    const engine =
      'thread' in options && options.thread === true
        ? pgliteEngine(await PgliteThreadExecutor.start(dataDir))
        : pgliteEngine(new PgliteExecutor(await PGlite.create(dataDir), true));
    return await initialised({ ...engine, onClosed: release }, options);
  } catch (error) {
    await release();
    throw error;
  }
}

/** PGlite: one session, and the log exported by slices through COPY (pglite-log-slices.ts). */
function pgliteEngine(executor: PgliteExecutor | PgliteThreadExecutor): Engine {
  return {
    executor,
    singleSession: true,
    logSlices: (names) => new PgliteLogSlices(executor, names),
  };
}

interface Engine {
  readonly executor: SqlExecutor;
  readonly singleSession?: boolean;
  readonly logSlices?: (names: PostgresStoreNames) => LogSliceExport;
  /** After the engine closed (the data directory's lock). */
  readonly onClosed?: () => Promise<void>;
}

async function initialised(engine: Engine, options: CommonOptions): Promise<PostgresEventStore> {
  const store = new PostgresEventStore({
    executor: engine.executor,
    schema: options.schema,
    pollIntervalMs: options.pollIntervalMs,
    singleSession: engine.singleSession === true,
    ...(engine.logSlices === undefined ? {} : { logSlices: engine.logSlices }),
    ...(engine.onClosed === undefined ? {} : { onClosed: engine.onClosed }),
  });
  try {
    await store.init();
  } catch (error) {
    await store.close();
    throw error;
  }
  return store;
}
