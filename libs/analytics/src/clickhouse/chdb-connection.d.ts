/**
 * Types for the one `chdb/connection` function libs/analytics uses.
 *
 * Why declare it here: the package publishes this subpath only in its `exports` map, which the
 * repository's `moduleResolution: node` does not read (Node does, at runtime). And chdb's own
 * declarations type the connection against @clickhouse/client-common 1.23.0's copy of the
 * Connection interface, whose settings typings differ from the copy inlined in
 * @clickhouse/client 1.23.1, so they do not type-check together although they agree at
 * runtime. Typing the result as the client's own `connection` option keeps the factory
 * cast-free. Remove when both packages share one Connection type.
 */
declare module 'chdb/connection' {
  import type { ClickHouseClientConfigOptions } from '@clickhouse/client';

  export function createChdbConnection(options?: {
    path?: string;
  }): NonNullable<ClickHouseClientConfigOptions['connection']>;
}
