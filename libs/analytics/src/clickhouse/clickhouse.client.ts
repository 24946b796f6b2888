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
import {
  createClient,
  type ClickHouseClient,
  type ClickHouseClientConfigOptions,
  type ClickHouseSettings,
} from '@clickhouse/client';
import { bindQueryParams } from './query-param-binder';

export type AnalyticsClientConfig =
  | {
      readonly mode: 'embedded';
      /** Data directory of the embedded engine (created if missing). */
      readonly path: string;
      /**
       * Who binds the statements' `{name:Type}` parameters: chDB (the default), which runs
       * bound statements one at a time per process, or this process (query-param-binder.ts),
       * so that the statements reach chDB without parameters and run beside the others: the
       * views' read connection (apps' analytics provider). Server mode always binds on the
       * server.
       */
      readonly binding?: 'engine' | 'in-process';
      /**
       * How many chDB connections the client spreads its statements over (default 1), each
       * statement on the one with the fewest in flight (leastBusy). Only with `binding:
       * 'in-process'`: chDB runs one statement at a time per connection, and engine-bound ones
       * one at a time per process anyway. The views' reads take 2, so that a read never waits
       * behind another view's long statement (the reconciliation's audit: seconds at 1M).
       */
      readonly connections?: number;
      /**
       * Whose statements give way (ClickHouse's `priority` setting, set once on each of the
       * client's chDB connections): 'background' statements pause at their next block while
       * any 'foreground' statement of the engine runs, and go on once none does. 'foreground'
       * (the default) never waits for another. The views' background builds (snapshots and
       * what is kept with them) and the reconciliation monitor take 'background', so that the
       * projector's batches and the views' reads do not share the two cores with them
       * (ADR 0014, addendum of 2026-12-02). A server's workloads are its operators' to set.
       */
      readonly priority?: 'foreground' | 'background';
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

/** ClickHouse's `priority`: the lower value goes first; 0 takes no part. */
const ENGINE_PRIORITY = { foreground: 1, background: 2 } as const;

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
      const count = config.connections ?? 1;
      if (!Number.isSafeInteger(count) || count < 1) {
        throw new RangeError(`connections must be a positive integer, got ${count}`);
      }
      if (count > 1 && config.binding !== 'in-process') {
        throw new RangeError(
          'several connections need binding: in-process (chDB serialises the rest)',
        );
      }
      const connections = Array.from({ length: count }, () =>
        oneAtATime(createChdbConnection({ path: config.path })),
      );
      // A session setting: it holds for every later statement of the connection, and for no
      // other connection (a statement of priority 0 would take no part in the scheme).
      const priority = ENGINE_PRIORITY[config.priority ?? 'foreground'];
      try {
        for (const connection of connections) {
          await connection.command({ query: `SET priority = ${priority}` });
        }
      } catch (error) {
        await Promise.all(connections.map((connection) => connection.close()));
        throw error;
      }
      const connection = connections.length === 1 ? connections[0]! : leastBusy(connections);
      const client = createClient({
        connection: config.binding === 'in-process' ? bindingInProcess(connection) : connection,
      });
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

type Connection = NonNullable<ClickHouseClientConfigOptions['connection']>;

/**
 * One connection over several: each statement goes to the one with the fewest statements in
 * flight (the first of them on a tie), counted until its promise settles. A query's result is
 * read after that, from the rows chDB already returned. Exact as ADR 0014 argues for two
 * connections: sessions of one engine, a statement that has returned has committed its parts.
 */
export function leastBusy(connections: readonly Connection[]): Connection {
  if (connections.length === 0) throw new RangeError('leastBusy needs at least one connection');
  const inFlight = connections.map(() => 0);
  const on = async <T>(run: (connection: Connection) => Promise<T>): Promise<T> => {
    let index = 0;
    for (let i = 1; i < connections.length; i++) {
      if (inFlight[i]! < inFlight[index]!) index = i;
    }
    inFlight[index]! += 1;
    try {
      return await run(connections[index]!);
    } finally {
      inFlight[index]! -= 1;
    }
  };
  return {
    ping: (params) => connections[0]!.ping(params),
    query: (params) => on((connection) => connection.query(params)),
    insert: (params) => on((connection) => connection.insert(params)),
    command: (params) => on((connection) => connection.command(params)),
    exec: (params) => on((connection) => connection.exec(params)),
    close: async () => {
      await Promise.all(connections.map((connection) => connection.close()));
    },
  };
}

/**
 * `connection` handing chDB one statement at a time, the others waiting here, in order. chDB
 * runs one statement at a time per connection anyway, but every statement handed to it holds
 * one of libuv's threads until it ends, its wait for the connection included, and those
 * threads (UV_THREADPOOL_SIZE, 4 unless set; @tandem/config sets 16) are the whole process's:
 * every chDB statement, file read and asynchronous crypto call. Thirty funnel polls queued on
 * the views' two connections held all of them, and the projector's one-row checkpoint insert,
 * on a connection of its own, waited 15 s for a thread (docs/performance.md, 2026-12-02
 * 15:10). Queued here, a connection holds one thread at most. A statement's promise settles
 * only once chDB has returned all of it (rows read after that come from memory).
 */
export function oneAtATime(connection: Connection): Connection {
  let tail: Promise<unknown> = Promise.resolve();
  const queued = <T>(run: () => Promise<T>): Promise<T> => {
    const turn = tail.then(run, run);
    tail = turn.catch(() => undefined);
    return turn;
  };
  return {
    ping: (params) => queued(() => connection.ping(params)),
    query: (params) => queued(() => connection.query(params)),
    insert: (params) => queued(() => connection.insert(params)),
    command: (params) => queued(() => connection.command(params)),
    exec: (params) => queued(() => connection.exec(params)),
    close: () => connection.close(),
  };
}

/** ClickHouse's default max_query_size: the longest statement text its parser takes. */
const DEFAULT_MAX_QUERY_SIZE = 262_144;

/**
 * `connection` with each statement's parameters bound into its text before it reaches chDB
 * (an insert's rows are not touched: they travel apart from its statement).
 */
function bindingInProcess(connection: Connection): Connection {
  const bound = <
    P extends {
      query: string;
      query_params?: Record<string, unknown>;
      clickhouse_settings?: ClickHouseSettings;
    },
  >(
    params: P,
  ): P => {
    if (params.query_params === undefined || Object.keys(params.query_params).length === 0) {
      return params;
    }
    const query = bindQueryParams(params.query, params.query_params);
    // Bound by the engine, a value is not part of the statement's text; bound here it is, and
    // a long list (the leads changed since a snapshot: thousands of ids) would pass the
    // parser's max_query_size (256 KiB). The limit is raised for such a statement to its size.
    const size = Buffer.byteLength(query);
    return {
      ...params,
      query,
      query_params: {},
      ...(size < DEFAULT_MAX_QUERY_SIZE
        ? {}
        : {
            clickhouse_settings: {
              ...params.clickhouse_settings,
              max_query_size: String(size + 1024),
            },
          }),
    };
  };
  return {
    ping: (params) => connection.ping(params),
    query: (params) => connection.query(bound(params)),
    insert: (params) => connection.insert(bound(params)),
    command: (params) => connection.command(bound(params)),
    exec: (params) => connection.exec(bound(params)),
    close: () => connection.close(),
  };
}
