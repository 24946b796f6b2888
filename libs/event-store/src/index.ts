/**
 * libs/event-store: the port every part of Tandem uses to reach the source of truth,
 * its typed errors and the PostgreSQL/PGlite and KurrentDB adapters. The contract suites
 * every adapter runs are a separate entry point, @tandem/event-store/testing.
 * It must never export adapter internals (SQL, executors) that callers could bypass
 * the port with.
 */
export * from './event-store.port';
export * from './event-store.errors';
export * from './event-store.factory';
export * from './tandem-event-writer';
export * from './dictionary-bootstrap';
export * from './idempotency/idempotency-store.port';
export * from './api-keys/api-key-store.port';
export * from './log-slices/log-slice-export.port';
export { formatExpectedRevision } from './expected-revision';
export { PostgresEventStore } from './postgres/postgres-event-store';
export {
  createPgliteEventStore,
  createPostgresEventStore,
  type CreatePgliteEventStoreOptions,
  type CreatePostgresEventStoreOptions,
} from './postgres/postgres-event-store.factories';
// Types only: a value export would load the KurrentDB client (gRPC, native bridge) into
// every process; `createEventStore({ kind: 'kurrentdb', url })` loads it on demand.
export type {
  KurrentDbEventStore,
  CreateKurrentDbEventStoreOptions,
} from './kurrentdb/kurrentdb-event-store';
export {
  keyRotationOf,
  supportsPersonalData,
  type MasterKeyRotation,
  type PersonalDataReader,
  type PersonalDataStore,
} from './personal-data/personal-data.reader';
export {
  type KeyWrapper,
  KeyNotUnwrappedError,
  KeyServiceUnavailableError,
} from './personal-data/key-wrapper.port';
export { MasterKeyWrapper, loadMasterKey } from './personal-data/master-key.wrapper';
export {
  type KeyNotUnwrappedListener,
  LeadKeyVault,
  type LeadKey,
  type RewrapBatch,
} from './personal-data/lead-key.vault';
export { PersonalDataIntegrityError } from './personal-data/personal-data.cipher';
export { ErasedLeadWriteError, LeadKeyUnreadableError } from './personal-data/personal-data.codec';
export { MAX_STREAMS_PER_APPEND } from './append-validation';
