/**
 * The one factory for Tandem's ClickHouse client. Embedded mode runs chDB in-process behind
 * `@clickhouse/client` (through `chdb/connection`); server mode is the same client over HTTP.
 * Everything else in libs/analytics takes the returned client and never knows which it got.
 *
 * libchdb binds ONE data directory per process: while an embedded client is open at one path,
 * opening another path in the same process is refused by the engine. This factory fails fast
 * with a clear error in that case (for clients it created; it cannot see other code that
 * loaded chDB directly). Many clients on the same path are fine. To switch paths, close every
 * client on the old one with `closeAnalyticsClient`, which also waits for chDB to drain
 * in-flight work. Across processes, one process owns a data directory.
 *
 * It must never load chDB in server mode: the engine is a ~540 MB native library (~150 MB
 * RSS once loaded), so it is imported lazily, which is why the factory is async.
 */
import { createClient, type ClickHouseClient } from '@clickhouse/client';

export type AnalyticsClientConfig =
  | {
      readonly mode: 'embedded';
      /** Data directory of the embedded engine (created if missing). */
      readonly path: string;
    }
  | {
      readonly mode: 'server';
      readonly url: string;
      readonly username?: string;
      readonly password?: string;
      /**
       * Default database of the HTTP session. Analytics queries name their database
       * explicitly (see AnalyticsDatabaseOptions), so this only affects ad-hoc queries.
       */
      readonly database?: string;
    };

export class EmbeddedPathInUseError extends Error {
  constructor(
    readonly requested: string,
    readonly inUse: string,
  ) {
    super(
      `chDB already has ${inUse} open in this process; libchdb binds one data directory per ` +
        `process, so ${requested} cannot be opened until every client on ${inUse} is closed`,
    );
    this.name = 'EmbeddedPathInUseError';
  }
}

/** The embedded path clients of this module hold open, and how many of them. */
let embedded: { path: string; clients: Set<ClickHouseClient> } | null = null;
let chdbLoaded = false;

export async function createAnalyticsClient(
  config: AnalyticsClientConfig,
): Promise<ClickHouseClient> {
  switch (config.mode) {
    case 'server':
      return createClient({
        url: config.url,
        ...(config.username === undefined ? {} : { username: config.username }),
        ...(config.password === undefined ? {} : { password: config.password }),
        ...(config.database === undefined ? {} : { database: config.database }),
      });
    case 'embedded': {
      if (embedded !== null && embedded.path !== config.path) {
        throw new EmbeddedPathInUseError(config.path, embedded.path);
      }
      const { createChdbConnection } = await import('chdb/connection');
      chdbLoaded = true;
      const client = createClient({ connection: createChdbConnection({ path: config.path }) });
      embedded ??= { path: config.path, clients: new Set() };
      embedded.clients.add(client);
      return client;
    }
  }
}

/**
 * Closes a client from createAnalyticsClient. For the last embedded client on a path it also
 * awaits chDB's `drainPending()`, after which another path may be opened in this process.
 */
export async function closeAnalyticsClient(client: ClickHouseClient): Promise<void> {
  await client.close();
  if (embedded === null || !embedded.clients.delete(client)) return;
  if (embedded.clients.size > 0) return;
  embedded = null;
  if (chdbLoaded) {
    const { drainPending } = await import('chdb');
    await drainPending();
  }
}
