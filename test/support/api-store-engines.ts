/**
 * The stores an in-process API spec runs on: PGlite in a data directory of the spec's own, and
 * the local PostgreSQL in a fresh schema when it is up (else that leg is skipped, saying why).
 * Test code only.
 */
import {
  dropSchema,
  freshSchemaName,
  postgresUnavailableReason,
  TEST_POSTGRES_URL,
} from './postgres';

export interface ApiStoreEngine {
  readonly name: string;
  /** The store variables of an API on this engine's one store; `dataDir` is the API's. */
  readonly env: (dataDir: string) => Record<string, string>;
  readonly cleanup: () => Promise<void>;
}

/** PGlite, and PostgreSQL in a schema named after `schemaPrefix`; `suite` names a skipped leg. */
export function apiStoreEngines(suite: string, schemaPrefix: string): ApiStoreEngine[] {
  const engines: ApiStoreEngine[] = [
    {
      name: 'PGlite',
      env: (dataDir) => ({ TANDEM_EVENT_STORE: 'pglite', TANDEM_DATA_DIR: dataDir }),
      cleanup: async () => {},
    },
  ];
  const unavailable = postgresUnavailableReason();
  if (unavailable !== null) {
    console.warn(`${suite}: PostgreSQL leg skipped: ${unavailable}`);
    return engines;
  }
  const schema = freshSchemaName(schemaPrefix);
  engines.push({
    name: 'PostgreSQL',
    env: (dataDir) => ({
      TANDEM_EVENT_STORE: 'postgres',
      TANDEM_DATA_DIR: dataDir,
      TANDEM_POSTGRES_URL: TEST_POSTGRES_URL,
      TANDEM_POSTGRES_SCHEMA: schema,
    }),
    cleanup: () => dropSchema(schema),
  });
  return engines;
}
