/**
 * @tandem/testing: the helpers every tier of tests shares — polling for eventual
 * consistency and reaching the local PostgreSQL/PGlite. Specs in libs and apps and the
 * suites under test/ import it; production code never does (the boundary lint holds it).
 */
export { eventually } from './eventually';
export { seededRandom } from './seeded-random';
export { parsePrometheusText, sampleValue, type MetricSample } from './prometheus-text';
export {
  TEST_POSTGRES_URL,
  describeWhenPostgres,
  describeWithPglite,
  describeWithPostgresSchema,
  dropSchema,
  freshSchemaName,
  pgliteUnavailableReason,
  postgresUnavailableReason,
} from './postgres';
