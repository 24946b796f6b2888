/**
 * Command-line options every benchmark shares: which event store holds the history
 * (`--store postgres|pglite`, `--schema`, `--data-dir`, `--postgres-url`), where the API
 * keeps its analytics for the run (`--run-dir`, fresh by default), profiling, and where to
 * write JSON results. It must never drop or overwrite data it was not pointed at.
 */
import { parseArgs } from 'node:util';

export type StoreKind = 'postgres' | 'pglite';

export interface BenchStore {
  readonly kind: StoreKind;
  /** PostgreSQL connection string (postgres only). */
  readonly url: string;
  readonly schema: string;
  /** Root data directory of the embedded store (pglite: the store is `<dataDir>/pglite`). */
  readonly dataDir: string;
}

export interface CommonOptions {
  readonly store: BenchStore;
  /** TANDEM_DATA_DIR of the API run; `null`: a fresh temporary directory, removed after. */
  readonly runDir: string | null;
  /** Directory for `node --cpu-prof` profiles of the API, or `null`. */
  readonly profileDir: string | null;
  readonly json: string | null;
}

const commonSpec = {
  store: { type: 'string', default: 'postgres' },
  schema: { type: 'string', default: 'tandem_bench' },
  'data-dir': { type: 'string', default: '.tandem/bench' },
  'postgres-url': {
    type: 'string',
    default: process.env.TANDEM_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test',
  },
  'run-dir': { type: 'string' },
  profile: { type: 'string' },
  json: { type: 'string' },
} as const;

type Spec = NonNullable<Parameters<typeof parseArgs>[0]>['options'];

/** Parses the common options plus `extra`; unknown options are an error naming them. */
export function parseBenchArgs<E extends Spec>(extra: E) {
  const { values } = parseArgs({
    args: process.argv.slice(2),
    options: { ...commonSpec, ...extra },
    strict: true,
    allowPositionals: false,
  });
  const common = values as Record<keyof typeof commonSpec, string | undefined>;
  const kind = common.store;
  if (kind !== 'postgres' && kind !== 'pglite') {
    throw new Error(`--store must be postgres or pglite, got ${String(kind)}`);
  }
  if (!/^[a-z_][a-z0-9_]{0,62}$/.test(common.schema ?? '')) {
    throw new Error(`--schema must be a lower-case SQL identifier, got ${String(common.schema)}`);
  }
  const options: CommonOptions = {
    store: {
      kind,
      url: common['postgres-url'] ?? '',
      schema: common.schema ?? 'tandem_bench',
      dataDir: common['data-dir'] ?? '.tandem/bench',
    },
    runDir: common['run-dir'] ?? null,
    profileDir: common.profile ?? null,
    json: common.json ?? null,
  };
  return { options, values };
}

/** A whole number option (accepts 1e6 and 1_000_000 forms). */
export function numberOption(value: unknown, name: string, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'string') throw new Error(`--${name} takes a number`);
  const parsed = Number(value.replaceAll('_', ''));
  if (!Number.isFinite(parsed) || parsed < 0) {
    throw new Error(`--${name} must be a non-negative number, got ${value}`);
  }
  return Math.round(parsed);
}

/** What the API needs to find the store (its own variables, as a deployment would set them). */
export function storeEnv(store: BenchStore): Record<string, string> {
  return store.kind === 'postgres'
    ? {
        TANDEM_EVENT_STORE: 'postgres',
        TANDEM_POSTGRES_URL: store.url,
        TANDEM_POSTGRES_SCHEMA: store.schema,
      }
    : { TANDEM_EVENT_STORE: 'pglite', TANDEM_POSTGRES_SCHEMA: store.schema };
}

export function describeStore(store: BenchStore): string {
  return store.kind === 'postgres'
    ? `PostgreSQL ${redact(store.url)} schema ${store.schema}`
    : `PGlite ${store.dataDir}/pglite schema ${store.schema}`;
}

function redact(url: string): string {
  return url.replace(/\/\/([^:@/]+):[^@/]*@/, '//$1:***@');
}
