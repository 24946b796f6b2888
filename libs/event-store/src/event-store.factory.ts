/**
 * Builds the configured event store. The one switch over store kinds: callers
 * get the port and never learn which adapter is behind it.
 */
import { mkdir } from 'node:fs/promises';
import type { EventStore } from './event-store.port';
import {
  createPgliteEventStore,
  createPostgresEventStore,
} from './postgres/postgres-event-store.factories';

export type EventStoreSelection =
  | { readonly kind: 'pglite'; readonly dataDir: string; readonly schema: string }
  | { readonly kind: 'postgres'; readonly url: string; readonly schema: string }
  | { readonly kind: 'kurrentdb'; readonly url: string };

export async function createEventStore(selection: EventStoreSelection): Promise<EventStore> {
  switch (selection.kind) {
    case 'pglite':
      // PGlite creates only the last path segment; a fresh clone has no parent yet.
      await mkdir(selection.dataDir, { recursive: true });
      return createPgliteEventStore({ dataDir: selection.dataDir, schema: selection.schema });
    case 'postgres':
      return createPostgresEventStore({
        connectionString: selection.url,
        schema: selection.schema,
      });
    case 'kurrentdb': {
      // Loaded on demand: the client pulls in gRPC and a native bridge (~300 ms), which
      // processes on PGlite or PostgreSQL should not pay for.
      const { createKurrentDbEventStore } = await import('./kurrentdb/kurrentdb-event-store');
      return createKurrentDbEventStore({ connectionString: selection.url });
    }
  }
}
