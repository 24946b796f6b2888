/**
 * SqlExecutor over node-postgres: a pool for queries and transactions, and one
 * dedicated client per listener (LISTEN state belongs to a session, so a pooled
 * connection cannot hold it).
 * It must never leave a client checked out or an idle-client error unhandled — an
 * unhandled 'error' event would crash the process.
 */
import { pipeline } from 'node:stream/promises';
import { Readable } from 'node:stream';
import { Client, Pool, type PoolClient } from 'pg';
import { from as copyFromStdin } from 'pg-copy-streams';
import type { SqlExecutor, SqlRow, SqlTransaction } from './sql-executor';

export interface PgPoolExecutorOptions {
  readonly connectionString: string;
  /** Maximum pooled connections; listeners use their own. Default 10. */
  readonly poolSize?: number;
}

export class PgPoolExecutor implements SqlExecutor {
  private readonly pool: Pool;

  constructor(private readonly options: PgPoolExecutorOptions) {
    this.pool = new Pool({
      connectionString: options.connectionString,
      max: options.poolSize ?? 10,
    });
    // The pool drops a broken idle client by itself; the next query reports any real outage.
    this.pool.on('error', () => undefined);
  }

  async query(sql: string, params: readonly unknown[] = []): Promise<SqlRow[]> {
    const result = await this.pool.query<SqlRow>(sql, [...params]);
    return result.rows;
  }

  async exec(sql: string): Promise<void> {
    await this.pool.query(sql);
  }

  async transaction<T>(work: (tx: SqlTransaction) => Promise<T>): Promise<T> {
    const client = await this.pool.connect();
    let broken: unknown;
    try {
      await client.query('BEGIN');
      const result = await work(clientQueryable(client));
      await client.query('COMMIT');
      return result;
    } catch (error) {
      await client.query('ROLLBACK').catch((rollbackError: unknown) => {
        broken = rollbackError;
      });
      throw error;
    } finally {
      // A client whose ROLLBACK failed may still be inside a transaction: destroy it.
      client.release(broken !== undefined);
    }
  }

  async listen(
    channel: string,
    onNotify: () => void,
    onLost: (error: unknown) => void,
  ): Promise<() => Promise<void>> {
    const client = new Client({ connectionString: this.options.connectionString });
    let stopped = false;
    client.on('notification', (message) => {
      if (message.channel === channel) onNotify();
    });
    client.on('error', (error) => {
      if (!stopped) onLost(error);
    });
    client.on('end', () => {
      if (!stopped) onLost(new Error(`LISTEN connection for ${channel} ended`));
    });
    try {
      await client.connect();
      await client.query(`LISTEN "${channel}"`);
    } catch (error) {
      stopped = true;
      await client.end().catch(() => undefined);
      throw error;
    }
    return async () => {
      if (stopped) return;
      stopped = true;
      await client.end().catch(() => undefined);
    };
  }

  async close(): Promise<void> {
    await this.pool.end();
  }
}

function clientQueryable(client: PoolClient): SqlTransaction {
  return {
    query: async (sql, params = []) => (await client.query<SqlRow>(sql, [...params])).rows,
    exec: async (sql) => {
      await client.query(sql);
    },
    // The COPY protocol through pg-copy-streams (node-postgres has no COPY of its own).
    copyFrom: async (target, text) => {
      await pipeline(
        Readable.from([text]),
        client.query(copyFromStdin(`COPY ${target} FROM STDIN`)),
      );
    },
  };
}
