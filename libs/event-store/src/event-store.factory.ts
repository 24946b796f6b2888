/**
 * Builds the configured event store. The one switch over store kinds: callers
 * get the port and never learn which adapter is behind it.
 *
 * PostgreSQL and PGlite stores come wrapped in the personal-data sealing decorator
 * (personal-data/): every append through them seals personal fields per lead, and the
 * per-lead keys live in the same database. The master key is loaded only on first use
 * (a relay that only reads never needs it). KurrentDB has nowhere to shred a key from, so a
 * KurrentDB store is sealed with its keys in a PostgreSQL database of their own
 * (`keyStore`); without one (TANDEM_PERSONAL_DATA_SEALING=off, development only) it is
 * returned unwrapped and personal data is NOT sealed.
 */
import { mkdir, realpath } from 'node:fs/promises';
import path from 'node:path';
import type { EventStore } from './event-store.port';
import type { KeyWrapper } from './personal-data/key-wrapper.port';
import type { LeadKeyAppender } from './personal-data/lead-key-append.port';
import { type KeyNotUnwrappedListener, LeadKeyVault } from './personal-data/lead-key.vault';
import {
  decodeMasterKey,
  loadMasterKey,
  MasterKeyWrapper,
} from './personal-data/master-key.wrapper';
import { sealingPersonalData } from './personal-data/personal-data-sealing.event-store';
import { PgPoolExecutor } from './postgres/pg-pool.executor';
import type { PostgresEventStore } from './postgres/postgres-event-store';
import { postgresStoreNames } from './postgres/postgres-store-names';
import { pgliteThreadAvailable } from './postgres/pglite-thread.executor';
import type { SqlQueryable } from './postgres/sql-executor';
import {
  createPgliteEventStore,
  createPostgresEventStore,
} from './postgres/postgres-event-store.factories';

export type EventStoreSelection =
  | { readonly kind: 'pglite'; readonly dataDir: string; readonly schema: string }
  | { readonly kind: 'postgres'; readonly url: string; readonly schema: string }
  | {
      readonly kind: 'kurrentdb';
      readonly url: string;
      readonly keyStore?: KeyStoreSelection | null;
    };

/** A PostgreSQL database (and schema) that holds only the per-lead keys. */
export interface KeyStoreSelection {
  readonly url: string;
  readonly schema: string;
}

export interface PersonalDataOptions {
  /**
   * Base64 of 32 bytes (TANDEM_MASTER_KEY). Absent: `<keyDir>/master.key`, generated once
   * with mode 0600 — a local development key, never for production.
   */
  readonly masterKey?: string | undefined;
  /**
   * Where the generated key lives. Default: the parent of a PGlite data directory, else
   * TANDEM_DATA_DIR (`.tandem/data`).
   */
  readonly keyDir?: string;
  /**
   * The master key before `masterKey`, during a rotation (TANDEM_MASTER_KEY_PREVIOUS, base64 of
   * 32 bytes): keys it wrapped are still unwrapped, and rewrapped by `rewrapPrevious`.
   */
  readonly previousMasterKey?: string | undefined;
  /** A key service instead of the local master key. */
  readonly wrapper?: KeyWrapper;
  /** The key service's previous key, during a rotation, instead of `previousMasterKey`. */
  readonly previousWrapper?: KeyWrapper;
  /** Told once where the master key came from (never the key). */
  readonly onMasterKey?: (source: string) => void;
  /**
   * Told of a lead whose key row does not unwrap when read (its values are withheld), once per
   * lead and master key in this process: the lead id and the row's master-key fingerprint.
   */
  readonly onKeyNotUnwrapped?: KeyNotUnwrappedListener;
}

export async function createEventStore(
  selection: EventStoreSelection,
  personalData: PersonalDataOptions = {},
): Promise<EventStore> {
  // A malformed key stops start-up here, before any engine opens, not at the first capture.
  const configured = personalData.masterKey ?? process.env.TANDEM_MASTER_KEY;
  if (personalData.wrapper === undefined && configured !== undefined && configured !== '') {
    decodeMasterKey(configured, 'TANDEM_MASTER_KEY');
  }
  const previous = previousMasterKey(personalData);
  if (previous !== null && configured !== undefined && configured !== '') {
    if (decodeMasterKey(configured, 'TANDEM_MASTER_KEY').equals(previous)) {
      throw new Error(
        'TANDEM_MASTER_KEY_PREVIOUS is the same key as TANDEM_MASTER_KEY: set the new key as TANDEM_MASTER_KEY (docs/personal-data.md)',
      );
    }
  }
  switch (selection.kind) {
    case 'pglite': {
      // PGlite creates only the last path segment; a fresh clone has no parent yet.
      await mkdir(selection.dataDir, { recursive: true });
      // PGlite's file system cannot open a store through a symbolic link (ENOENT, errno 44):
      // open the directory the link names. The lead keys live beside the store itself.
      const dataDir = await realpath(selection.dataDir);
      // Built code runs the engine on its own thread (pglite-thread.executor.ts).
      const store = await createPgliteEventStore({
        dataDir,
        schema: selection.schema,
        thread: pgliteThreadAvailable(),
      });
      return sealed(store, {
        keyDir: path.dirname(dataDir),
        ...personalData,
      });
    }
    case 'postgres':
      return sealed(
        await createPostgresEventStore({
          connectionString: selection.url,
          schema: selection.schema,
        }),
        personalData,
      );
    case 'kurrentdb': {
      // Loaded on demand: the client pulls in gRPC and a native bridge (~300 ms), which
      // processes on PGlite or PostgreSQL should not pay for.
      const { createKurrentDbEventStore } = await import('./kurrentdb/kurrentdb-event-store');
      const store = await createKurrentDbEventStore({ connectionString: selection.url });
      return selection.keyStore
        ? sealedWithKeyStore(store, selection.keyStore, personalData)
        : store;
    }
  }
}

/**
 * Wraps a PostgreSQL/PGlite store so its appends seal personal data under per-lead keys. The
 * keys live in the store's own database and schema, so a new lead's key is recorded in the
 * transaction of its first sealed append (the store is the LeadKeyAppender).
 */
export function sealed(store: PostgresEventStore, options: PersonalDataOptions = {}): EventStore {
  return sealedBy(store, store.sideTableExecutor(), store.names.quotedSchema, options, {
    keyAppender: store,
  });
}

/**
 * Wraps any store (KurrentDB's) so its appends seal personal data, with the per-lead keys
 * in a PostgreSQL database and schema of their own; closing the store closes that pool.
 */
export function sealedWithKeyStore(
  store: EventStore,
  keyStore: KeyStoreSelection,
  options: PersonalDataOptions = {},
): EventStore {
  const executor = new PgPoolExecutor({ connectionString: keyStore.url, poolSize: 4 });
  const { quotedSchema } = postgresStoreNames(keyStore.schema);
  const sealedStore = sealedBy(store, executor, quotedSchema, options, {
    prepare: async () => {
      await executor.exec(`CREATE SCHEMA IF NOT EXISTS ${quotedSchema}`);
    },
  });
  const closeStore = sealedStore.close.bind(sealedStore);
  // Closing the store closes the key pool too (an own property of our wrapper).
  Object.defineProperty(sealedStore, 'close', {
    value: async (): Promise<void> => {
      try {
        await closeStore();
      } finally {
        await executor.close();
      }
    },
  });
  return sealedStore;
}

function sealedBy(
  store: EventStore,
  db: SqlQueryable,
  quotedSchema: string,
  options: PersonalDataOptions,
  {
    prepare = async () => {},
    keyAppender,
  }: {
    /** Runs before the vault creates its table (a schema of its own). */
    readonly prepare?: () => Promise<void>;
    /** The store, when the key table is in its database. */
    readonly keyAppender?: LeadKeyAppender;
  },
): EventStore {
  let vault: Promise<LeadKeyVault> | null = null;
  const open = async (): Promise<LeadKeyVault> => {
    const wrapper = options.wrapper ?? (await localWrapper(options));
    const previous = previousMasterKey(options);
    await prepare();
    const opened = new LeadKeyVault(
      db,
      quotedSchema,
      wrapper,
      options.previousWrapper ?? (previous === null ? null : new MasterKeyWrapper(previous)),
      options.onKeyNotUnwrapped,
    );
    await opened.init();
    return opened;
  };
  return sealingPersonalData(
    store,
    () => {
      vault ??= open().catch((error: unknown) => {
        vault = null; // a missing key file or a down database may be fixed; try again next time
        throw error;
      });
      return vault;
    },
    keyAppender,
    options.previousWrapper !== undefined || previousMasterKey(options) !== null,
  );
}

/** TANDEM_MASTER_KEY_PREVIOUS decoded (a malformed one stops start-up), or null if unset. */
function previousMasterKey(options: PersonalDataOptions): Buffer | null {
  if (options.previousWrapper !== undefined) return null;
  const configured = options.previousMasterKey ?? process.env.TANDEM_MASTER_KEY_PREVIOUS;
  return configured === undefined || configured === ''
    ? null
    : decodeMasterKey(configured, 'TANDEM_MASTER_KEY_PREVIOUS');
}

async function localWrapper(options: PersonalDataOptions): Promise<KeyWrapper> {
  const master = await loadMasterKey(
    options.masterKey ?? process.env.TANDEM_MASTER_KEY,
    // TANDEM_DATA_DIR's default, so the API and the CLI find the same key without options.
    options.keyDir ?? path.resolve(process.env.TANDEM_DATA_DIR ?? '.tandem/data'),
  );
  const source = master.source;
  options.onMasterKey?.(
    source === 'environment'
      ? 'TANDEM_MASTER_KEY'
      : 'generatedFile' in source
        ? `generated ${source.generatedFile} (local development key: back it up or set TANDEM_MASTER_KEY)`
        : `${source.file} (local development key)`,
  );
  return new MasterKeyWrapper(master.key);
}
