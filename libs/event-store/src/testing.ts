/**
 * @tandem/event-store/testing: the contract suites every adapter of the store's ports must
 * pass, for spec files (here and in any future adapter package). A separate entry point so
 * that production code importing @tandem/event-store never loads jest-only code.
 */
export {
  describeEventStoreContract,
  type EventStoreContractFixture,
  type EventStoreContractOptions,
  type UncommittedAppend,
} from './event-store.contract';
export {
  describeIdempotencyStoreContract,
  type IdempotencyStoreContractFixture,
} from './idempotency/idempotency-store.contract';
export {
  describeApiKeyStoreContract,
  type ApiKeyStoreContractFixture,
} from './api-keys/api-key-store.contract';
