/**
 * Every name the PostgreSQL adapter derives from its schema: the quoted schema, the
 * advisory-lock keys and the notification channel. Identifiers cannot be query
 * parameters, so this is the one place that admits text into SQL — and only after
 * checking it against a strict pattern.
 * It must never quote or pass through a name it has not validated.
 */

export interface PostgresStoreNames {
  /** The schema as given, validated. */
  readonly schema: string;
  /** The schema as a quoted SQL identifier, safe to splice into SQL text. */
  readonly quotedSchema: string;
  /**
   * Orders the drawing of positions in this schema (held for microseconds, not to the commit):
   * the global-order guarantee hangs on it (draw_positions, ADR 0002).
   */
  readonly appendLockKey: bigint;
  /** First half of the two-part key that queues writers of one stream (the stream's hash is the second). */
  readonly streamLockClass: number;
  /** Serialises `init()` across processes, so concurrent DDL cannot collide. */
  readonly initLockKey: bigint;
  /** LISTEN/NOTIFY channel that carries "events were appended" wake-ups. */
  readonly channel: string;
}

/**
 * Lower-case so that quoted and unquoted spellings agree; short enough that the
 * channel name (`<schema>_appended`) stays within PostgreSQL's 63-byte identifiers.
 */
const SCHEMA_PATTERN = /^[a-z_][a-z0-9_]{0,47}$/;

export const DEFAULT_SCHEMA = 'tandem';

export function postgresStoreNames(schema: string = DEFAULT_SCHEMA): PostgresStoreNames {
  if (!SCHEMA_PATTERN.test(schema)) {
    throw new Error(
      `invalid event-store schema ${JSON.stringify(schema)}: use 1-48 characters of a-z, 0-9, _ (not starting with a digit)`,
    );
  }
  return {
    schema,
    quotedSchema: `"${schema}"`,
    appendLockKey: advisoryLockKey(`tandem.event-store.append:${schema}`),
    initLockKey: advisoryLockKey(`tandem.event-store.init:${schema}`),
    streamLockClass: Number(
      BigInt.asIntN(32, advisoryLockKey(`tandem.event-store.stream:${schema}`)),
    ),
    channel: `${schema}_appended`,
  };
}

/**
 * A signed 64-bit key (what `pg_advisory_xact_lock(bigint)` takes) from FNV-1a, so the
 * key is stable across processes and versions — unlike `hashtext`, which PostgreSQL
 * does not promise to keep — and different schemas do not block each other.
 */
export function advisoryLockKey(text: string): bigint {
  const prime = 0x100000001b3n;
  let hash = 0xcbf29ce484222325n;
  for (const byte of Buffer.from(text, 'utf8')) {
    hash ^= BigInt(byte);
    hash = BigInt.asUintN(64, hash * prime);
  }
  return BigInt.asIntN(64, hash);
}
