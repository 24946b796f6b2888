/**
 * Each test of an import spec gets its own directory and its own in-memory PGlite store sealing
 * personal data under a random master key, as the CLI opens its store; closed and removed after
 * it. `importLines` writes canonical lines to a file of the test's directory and imports them in
 * one block. Test code only.
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { createPgliteEventStore, type EventStore, sealed } from '@tandem/event-store';
import type { ImportOutcome } from '../import-runner';
import { importLines } from './import-lines';

export interface SealedStorePerTest {
  readonly dir: () => string;
  readonly store: () => EventStore;
  /** Imports `lines` as the file `name` of the test's directory, in one block. */
  readonly importLines: (name: string, lines: readonly string[]) => Promise<ImportOutcome>;
}

export function sealedStorePerTest(prefix: string, correlationId: string): SealedStorePerTest {
  let dir = '';
  let store: EventStore | null = null;
  beforeEach(async () => {
    dir = await mkdtemp(path.join(tmpdir(), prefix));
    store = sealed(await createPgliteEventStore({ memory: true }), {
      masterKey: randomBytes(32).toString('base64'),
    });
  });
  afterEach(async () => {
    await store?.close();
    store = null;
    await rm(dir, { recursive: true, force: true });
  });
  const opened = (): EventStore => {
    if (store === null) throw new Error('the store is opened before each test');
    return store;
  };
  return {
    dir: () => dir,
    store: opened,
    importLines: (name, lines) =>
      importLines({
        store: opened(),
        file: path.join(dir, name),
        lines,
        // One block: the leads a spec names are appended together.
        blockEvents: 1_000,
        correlationId,
      }),
  };
}
