/**
 * The two stores the SIGKILL specs run on from outside: how API processes reach a fresh
 * PostgreSQL schema or a PGlite data directory, how a clean API is pointed at the same events,
 * and how the store is read raw (keys, every table's text) for what no port shows. PGlite is
 * one process's database: its SQL may only be opened while no API runs on it. Test code only.
 */
import { randomBytes } from 'node:crypto';
import { cp, mkdtemp, realpath, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { Client } from 'pg';
import { loadConfig } from '@tandem/config';
import { createEventStore, type EventStore } from '@tandem/event-store';
import { committedHead } from './crash-api';
import {
  dropSchema,
  freshSchemaName,
  pgliteUnavailableReason,
  postgresUnavailableReason,
  TEST_POSTGRES_URL,
} from './postgres';
import { startWorker, type Worker } from './worker-process';

/** Raw SQL on a store's own database, for what no port shows (keys, every table's text). */
export interface StoreSql {
  readonly schema: string;
  query<T>(text: string, params?: unknown[]): Promise<T[]>;
  close(): Promise<void>;
}

/** A store kind under test: how processes reach a store, and how to copy or reopen one. */
export interface CrashStoreKind {
  readonly name: string;
  readonly unavailable: string | null;
  /** Whether another process may write or read while an API runs (PGlite: one process's). */
  readonly besideApi: boolean;
  /** The store variables of a fresh, empty store; `dataDir` is its processes' data dir. */
  create(dataDir: string): Record<string, string>;
  /** The variables of a clean API on the same events, with empty analytics in `cleanDir`. */
  cleanCopy(env: Record<string, string>, cleanDir: string): Promise<Record<string, string>>;
  sql(env: Record<string, string>): Promise<StoreSql>;
  /** What every settle waits for beyond the store's readable head (committedHead), if any. */
  committed(env: Record<string, string>): (() => Promise<bigint | null>) | undefined;
  drop(env: Record<string, string>): Promise<void>;
}

export const crashStoreConfig = (env: Record<string, string>) => loadConfig(env).eventStore;

/** The store of `env` opened in this process for `use`, then closed (PGlite: while no API runs). */
export async function withCrashStore<T>(
  env: Record<string, string>,
  use: (store: EventStore) => Promise<T>,
): Promise<T> {
  const store = await createEventStore(crashStoreConfig(env));
  try {
    return await use(store);
  } finally {
    await store.close();
  }
}

/** A fresh schema per store on the test server; `prefix` names the spec that made it. */
export const postgresCrashStore = (prefix: string): CrashStoreKind => ({
  name: 'PostgreSQL',
  unavailable: postgresUnavailableReason(),
  besideApi: true,
  create: (dataDir) => ({
    TANDEM_EVENT_STORE: 'postgres',
    TANDEM_POSTGRES_URL: TEST_POSTGRES_URL,
    TANDEM_POSTGRES_SCHEMA: freshSchemaName(prefix),
    TANDEM_DATA_DIR: dataDir,
  }),
  cleanCopy: (env, cleanDir) => Promise.resolve({ ...env, TANDEM_DATA_DIR: cleanDir }),
  sql: async (env) => {
    const client = new Client({ connectionString: TEST_POSTGRES_URL });
    await client.connect();
    return {
      schema: env.TANDEM_POSTGRES_SCHEMA!,
      query: async <T>(text: string, params?: unknown[]) =>
        (await client.query(text, params)).rows as T[],
      close: () => client.end(),
    };
  },
  committed: (env) => () => committedHead(env.TANDEM_POSTGRES_SCHEMA!),
  drop: (env) => dropSchema(env.TANDEM_POSTGRES_SCHEMA!),
});

/** The embedded store in the processes' data dir; `unavailable` overrides when it runs. */
export const pgliteCrashStore = (
  unavailable: string | null = pgliteUnavailableReason(),
): CrashStoreKind => ({
  name: 'PGlite',
  unavailable,
  besideApi: false,
  create: (dataDir) => ({ TANDEM_EVENT_STORE: 'pglite', TANDEM_DATA_DIR: dataDir }),
  cleanCopy: async (env, cleanDir) => {
    const to = { ...env, TANDEM_DATA_DIR: cleanDir };
    const [from, into] = [crashStoreConfig(env), crashStoreConfig(to)];
    if (from.kind !== 'pglite' || into.kind !== 'pglite') throw new Error('not a PGlite store');
    await cp(from.dataDir, into.dataDir, { recursive: true });
    return to;
  },
  sql: async (env) => {
    const config = crashStoreConfig(env);
    if (config.kind !== 'pglite') throw new Error('not a PGlite store');
    const db = await PGlite.create(await realpath(config.dataDir));
    return {
      schema: config.schema,
      query: async <T>(text: string, params?: unknown[]) => (await db.query<T>(text, params)).rows,
      close: () => db.close(),
    };
  },
  // One process's database: no other session holds its readers back.
  committed: () => undefined,
  drop: () => Promise.resolve(),
});

/**
 * One store kind's leg of a crash spec, set up in its describe block: the `it` to use (skipped,
 * the reason logged, where the store is unavailable), a temporary directory, and every API it
 * started killed and every store it made dropped after the leg.
 */
export function crashLeg(kind: CrashStoreKind, spec: string) {
  const maybe = kind.unavailable === null ? it : it.skip;
  if (kind.unavailable !== null) console.log(`${kind.name} ${spec} skipped: ${kind.unavailable}`);
  const workers: Worker[] = [];
  const stores: Record<string, string>[] = [];
  let dir = '';
  // One master key for every process on a store: the CLI seals, the API opens and erases.
  const masterKey = randomBytes(32).toString('base64');
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), `tandem-${spec}-`));
  });
  afterAll(async () => {
    for (const worker of workers) await worker.kill('SIGKILL');
    for (const env of stores) await kind.drop(env);
    await rm(dir, { recursive: true, force: true });
  });
  return {
    maybe,
    /** A path in the leg's temporary directory. */
    path: (name: string) => join(dir, name),
    /** A fresh store's variables, as every process on it (API or CLI) gets them. */
    freshStore: (name: string): Record<string, string> => {
      const env = {
        ...kind.create(join(dir, name)),
        TANDEM_MASTER_KEY: masterKey,
        TANDEM_LOG_LEVEL: 'warn',
      };
      stores.push(env);
      return env;
    },
    /** An API process on `env`, killed after the leg if it still runs. */
    start: async (env: Record<string, string>): Promise<Worker> => {
      const worker = await startWorker('funnel-api', env, 120_000);
      workers.push(worker);
      return worker;
    },
  };
}
