/// <reference types="jest" />
/**
 * PostgreSQL and PGlite as integration specs need them: where the local server is,
 * whether it answers (decided synchronously, because jest collects `describe` blocks
 * synchronously), a fresh schema per spec file, and whether PGlite can boot in jest.
 * It must never drop a schema it did not create.
 */
import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import type { PGlite } from '@electric-sql/pglite';
import { Client } from 'pg';

export const TEST_POSTGRES_URL =
  process.env.TANDEM_TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

/**
 * `null` when the server accepts a connection and a query; otherwise why not. Runs
 * in a child process so that it can block: jest has no asynchronous `describe`.
 */
export function postgresUnavailableReason(url: string = TEST_POSTGRES_URL): string | null {
  const probe = `
    const { Client } = require(${JSON.stringify(require.resolve('pg'))});
    const client = new Client({ connectionString: process.env.PROBE_URL, connectionTimeoutMillis: 3000 });
    client.connect()
      .then(() => client.query('SELECT 1'))
      .then(() => client.end())
      .then(() => process.exit(0), (error) => {
        process.stderr.write(String((error && error.message) || error));
        process.exit(1);
      });`;
  try {
    execFileSync(process.execPath, ['-e', probe], {
      env: { ...process.env, PROBE_URL: url },
      stdio: ['ignore', 'ignore', 'pipe'],
      timeout: 10_000,
    });
    return null;
  } catch (error) {
    const stderr = (error as { stderr?: Buffer }).stderr?.toString().trim();
    return stderr !== undefined && stderr !== '' ? stderr : String(error);
  }
}

/** Prints the one line that explains a skipped suite, and returns jest's `describe.skip`. */
export function describeWhenPostgres(reason: string | null): jest.Describe {
  if (reason === null) return describe;
  console.warn(`skipping PostgreSQL integration specs: ${TEST_POSTGRES_URL} unusable: ${reason}`);
  return describe.skip;
}

const createdSchemas = new Set<string>();

/** A schema name no other spec uses; only names made here can be dropped. */
export function freshSchemaName(prefix: string): string {
  const name = `${prefix}_${randomUUID().replaceAll('-', '').slice(0, 16)}`;
  createdSchemas.add(name);
  return name;
}

export async function dropSchema(schema: string, url: string = TEST_POSTGRES_URL): Promise<void> {
  if (!createdSchemas.has(schema)) {
    throw new Error(`refusing to drop schema ${schema}: it was not made by freshSchemaName`);
  }
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    createdSchemas.delete(schema);
  } finally {
    await client.end();
  }
}

/**
 * PGlite loads its WASM engine with dynamic `import()`, which jest's module sandbox
 * supports only when node runs with --experimental-vm-modules; without it the jest
 * process dies with ERR_VM_DYNAMIC_IMPORT_CALLBACK_MISSING_FLAG. `null` when available.
 */
export function pgliteUnavailableReason(): string | null {
  const flag = '--experimental-vm-modules';
  const enabled =
    process.execArgv.includes(flag) || (process.env.NODE_OPTIONS ?? '').split(/\s+/).includes(flag);
  return enabled
    ? null
    : `PGlite needs node ${flag} under jest (e.g. NODE_OPTIONS=${flag} jest --selectProjects int)`;
}

/** Booting PGlite's WASM engine on a loaded machine. */
const PGLITE_BOOT_TIMEOUT_MS = 60_000;

/**
 * A describe block whose specs share one in-memory PGlite (`db()` inside a hook or spec), or,
 * when PGlite cannot boot under this jest, one failing spec saying why: PGlite is the embedded
 * default and must never go untested silently.
 */
export function describeWithPglite(name: string, body: (db: () => PGlite) => void): void {
  const unavailable = pgliteUnavailableReason();
  if (unavailable !== null) {
    describe(name, () => {
      it('boots PGlite under jest', () => {
        throw new Error(unavailable);
      });
    });
    return;
  }
  describe(name, () => {
    let db: PGlite | null = null;
    beforeAll(async () => {
      const { PGlite } = await import('@electric-sql/pglite');
      db = await PGlite.create();
    }, PGLITE_BOOT_TIMEOUT_MS);
    afterAll(() => db?.close());
    body(() => {
      if (db === null) throw new Error('PGlite is used before it booted (outside a hook or spec)');
      return db;
    });
  });
}

/**
 * A describe block on the local PostgreSQL server with a fresh schema of its own, dropped
 * after its specs; skipped, with the one line saying why, when the server is unusable.
 */
export function describeWithPostgresSchema(
  name: string,
  prefix: string,
  body: (schema: string) => void,
): void {
  const schema = freshSchemaName(prefix);
  describeWhenPostgres(postgresUnavailableReason())(name, () => {
    afterAll(() => dropSchema(schema));
    body(schema);
  });
}
