/** Kept for the suites under test/: the helpers live in @tandem/testing. */
export {
  TEST_POSTGRES_URL,
  describeWhenPostgres,
  dropSchema,
  freshSchemaName,
  pgliteUnavailableReason,
  postgresUnavailableReason,
} from '@tandem/testing';
