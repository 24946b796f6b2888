/**
 * The narrow seam between the PostgreSQL event store and a driver: run a
 * parameterised query, run a transaction on one connection, listen on a channel.
 * Two implementations: node-postgres (server) and PGlite (embedded).
 * It must never grow store logic: anything that differs between engines beyond
 * "how do I send this SQL" belongs in the store, where both engines share it.
 */

/** A row as the driver returns it; the store maps each column explicitly. */
export type SqlRow = Record<string, unknown>;

export interface SqlQueryable {
  /** One statement, values only as `$n` parameters. */
  query(sql: string, params?: readonly unknown[]): Promise<SqlRow[]>;
  /** Several statements without parameters (DDL). */
  exec(sql: string): Promise<void>;
}

/** What a transaction can do beyond queries: bulk loading. */
export interface SqlTransaction extends SqlQueryable {
  /**
   * COPY into `target` (`table (columns)`) from `text` in COPY's text format. Each engine
   * names its own source (a server's STDIN, PGlite's blob device); `target` is SQL text
   * built by the store, never by a caller.
   */
  copyFrom(target: string, text: string): Promise<void>;
}

export interface SqlExecutor extends SqlQueryable {
  /** Runs `work` inside BEGIN/COMMIT on one connection; ROLLBACK if it throws. */
  transaction<T>(work: (tx: SqlTransaction) => Promise<T>): Promise<T>;
  /**
   * Calls `onNotify` for each NOTIFY on `channel` until the returned function is
   * called. `onLost` reports that the listening connection died; the caller decides
   * whether to listen again.
   */
  listen(
    channel: string,
    onNotify: () => void,
    onLost: (error: unknown) => void,
  ): Promise<() => Promise<void>>;
  close(): Promise<void>;
}
