/**
 * libs/contracts: what a downstream team installs to consume Tandem's events —
 * types, runtime schemas, a validating decoder with upcasting, topic names.
 */
export * from './tandem-event';
export * from './value-bounds';
export * from './exact-json-numbers';
export * from './unique-json-keys';
export * from './event-schemas';
export * from './lead-command-bodies';
export * from './strict-body';
export * from './envelope.codec';
export * from './topics';
export * from './schema-ids';
export * from './kafka-message.codec';
export * from './json-schemas';
export * from './subscribe';
export * from './subscribe.platformatic';
export * from './message-stream.reader';
// Which fields arrive sealed, and how to tell one was given without opening it (ADR 0009).
export {
  ERASED_VALUE,
  WITHHELD_VALUE,
  isPersonalGiven,
  isSealedValue,
  personalFields,
  type Personal,
  type SealedValue,
} from '@tandem/domain';
