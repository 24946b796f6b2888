/**
 * SqlExecutor over PGlite, the embedded PostgreSQL. PGlite is one session that
 * serialises every query and transaction itself, so this wrapper stays thin.
 * It must never close a PGlite instance it was handed rather than created: the
 * owner may share it with other components.
 */
import type { PGliteInterface, Transaction } from '@electric-sql/pglite';
import type { SqlExecutor, SqlRow, SqlTransaction } from './sql-executor';

export class PgliteExecutor implements SqlExecutor {
  constructor(
    private readonly db: PGliteInterface,
    private readonly ownsDb: boolean,
  ) {}

  async query(sql: string, params: readonly unknown[] = []): Promise<SqlRow[]> {
    return (await this.db.query<SqlRow>(sql, [...params])).rows;
  }

  async exec(sql: string): Promise<void> {
    await this.db.exec(sql);
  }

  async transaction<T>(work: (tx: SqlTransaction) => Promise<T>): Promise<T> {
    return this.db.transaction((tx) => work(transactionQueryable(tx)));
  }

  /**
   * Runs `setup` (values as parameters) then `copy`, a `COPY … TO '/dev/blob'`, in one
   * transaction; PGlite hands what COPY wrote back as a Blob.
   */
  async copyOut(setup: string, params: readonly unknown[], copy: string): Promise<Blob> {
    return this.db.transaction(async (tx) => {
      await tx.query(setup, [...params]);
      const { blob } = await tx.query(copy);
      if (blob === undefined) throw new Error('COPY wrote nothing to /dev/blob');
      return blob;
    });
  }

  async listen(channel: string, onNotify: () => void): Promise<() => Promise<void>> {
    // An embedded database has no connection to lose, hence no onLost.
    const unlisten = await this.db.listen(channel, () => onNotify());
    return async () => {
      if (!this.db.closed) await unlisten();
    };
  }

  async close(): Promise<void> {
    if (this.ownsDb && !this.db.closed) await this.db.close();
  }
}

function transactionQueryable(tx: Transaction): SqlTransaction {
  return {
    query: async (sql, params = []) => (await tx.query<SqlRow>(sql, [...params])).rows,
    exec: async (sql) => {
      await tx.exec(sql);
    },
    // PGlite has no STDIN: COPY reads the blob handed with the query from its /dev/blob device.
    copyFrom: async (target, text) => {
      await tx.query(`COPY ${target} FROM '/dev/blob'`, [], { blob: new Blob([text]) });
    },
  };
}
