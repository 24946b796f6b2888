/**
 * Each test of an import spec gets its own directory for the files it writes and its own
 * in-memory PGlite stores, closed and removed after it. Test code only.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { createPgliteEventStore, type EventStore } from '@tandem/event-store';

export interface StoresPerTest {
  /** The test's directory. */
  readonly dir: () => string;
  /** A new in-memory store, closed after the test. */
  readonly open: () => Promise<EventStore>;
}

export function storesPerTest(prefix: string): StoresPerTest {
  let dir = '';
  let stores: EventStore[] = [];
  beforeEach(async () => {
    dir = await mkdtemp(path.join(tmpdir(), prefix));
    stores = [];
  });
  afterEach(async () => {
    for (const store of stores) await store.close();
    await rm(dir, { recursive: true, force: true });
  });
  return {
    dir: () => dir,
    open: async () => {
      const store = await createPgliteEventStore({ memory: true });
      stores.push(store);
      return store;
    },
  };
}
