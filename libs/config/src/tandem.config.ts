/**
 * The one place Tandem reads its environment. Every variable is validated at
 * start-up; a bad one stops the process with a message naming the variable and
 * the expected form. Secrets (passwords, connection strings) are never logged.
 */
import * as path from 'node:path';
import { LEAD_EVENTS_TOPIC } from '@tandem/contracts';
import { z } from 'zod';

/** The highest per-caller write limit TANDEM_RATE_LIMIT_WRITES_PER_MINUTE accepts. */
export const MAX_WRITES_PER_MINUTE = 1_000_000;

const port = z.coerce.number().int().min(0).max(65535);

/** 127.0.0.0/8, ::1 and localhost: traffic that never leaves the machine. */
export function isLoopbackHost(hostname: string): boolean {
  const host = hostname.toLowerCase().replace(/^\[|\]$/g, '');
  return (
    host === 'localhost' ||
    host.endsWith('.localhost') ||
    host === '::1' ||
    /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host)
  );
}

/** Plain http to a host other than this machine: anyone on the path reads and rewrites it. */
export function plainHttpToRemote(url: string): boolean {
  try {
    const parsed = new URL(url);
    return parsed.protocol === 'http:' && !isLoopbackHost(parsed.hostname);
  } catch {
    return false;
  }
}

/**
 * The identity provider's signing keys decide who Tandem believes: fetched over plain http,
 * anyone on the path could swap in their own and mint any role. So https only, except on
 * loopback (a local IdP in development, a sidecar), where nothing is on the path.
 */
const jwksUrl = z
  .url({ protocol: /^https?$/ })
  .refine(
    (value) => !plainHttpToRemote(value),
    'must be an https:// URL (signing keys fetched over plain http could be swapped on the way); http:// is accepted only for a loopback host (127.0.0.0/8, ::1, localhost)',
  );

const BODY_LIMIT_UNITS = { b: 1, kb: 1024, mb: 1024 * 1024 } as const;
/** `512kb`, `1mb`, `20000` (bytes) → bytes; at most 64mb, so a typo cannot open the gates. */
const bodyLimit = z
  .string()
  .trim()
  .toLowerCase()
  .regex(/^\d+(b|kb|mb)?$/, 'must be a size such as 1mb, 512kb or 20000 (bytes)')
  .transform((value) => {
    const [, amount = '0', unit = 'b'] = /^(\d+)(b|kb|mb)?$/.exec(value) ?? [];
    return Number(amount) * BODY_LIMIT_UNITS[unit as keyof typeof BODY_LIMIT_UNITS];
  })
  .refine((bytes) => bytes >= 1 && bytes <= 64 * 1024 * 1024, 'must be between 1b and 64mb');

/** Exact origins (`https://app.example.com`, `http://localhost:5173`), comma-separated. */
const isOrigin = (value: string): boolean => {
  try {
    const url = new URL(value);
    return (url.protocol === 'https:' || url.protocol === 'http:') && url.origin === value;
  } catch {
    return false;
  }
};
const corsOrigins = z
  .string()
  .transform((value) =>
    value
      .split(',')
      .map((origin) => origin.trim())
      .filter((origin) => origin !== ''),
  )
  .refine(
    (origins) => origins.every(isOrigin),
    'must be a comma-separated list of origins such as https://app.example.com (scheme, host and port only; no path, no trailing slash, no *)',
  );

const envSchema = z.object({
  TANDEM_EVENT_STORE: z.enum(['pglite', 'postgres', 'kurrentdb']).default('pglite'),
  TANDEM_DATA_DIR: z.string().min(1).default('.tandem/data'),
  TANDEM_POSTGRES_URL: z
    .string()
    .regex(/^postgres(ql)?:\/\//, 'must be a postgres:// connection string')
    .optional(),
  TANDEM_POSTGRES_SCHEMA: z
    .string()
    .regex(/^[a-z_][a-z0-9_]*$/, 'must be a lower-case SQL identifier')
    .default('tandem'),
  /** PostgreSQL for the per-lead keys of personal data when the events live in KurrentDB. */
  TANDEM_KEY_STORE_URL: z
    .string()
    .regex(/^postgres(ql)?:\/\//, 'must be a postgres:// connection string')
    .optional(),
  TANDEM_KEY_STORE_SCHEMA: z
    .string()
    .regex(/^[a-z_][a-z0-9_]*$/, 'must be a lower-case SQL identifier')
    .default('tandem_keys'),
  /** `off` stores personal data of a KurrentDB deployment unsealed (development only). */
  TANDEM_PERSONAL_DATA_SEALING: z.enum(['on', 'off']).default('on'),
  KURRENTDB_URL: z
    .string()
    .regex(
      /^(kurrentdb|esdb|kdb)(\+discover)?:\/\//,
      'must be a kurrentdb:// or esdb:// connection string',
    )
    .optional(),
  TANDEM_CLICKHOUSE: z.enum(['embedded', 'server']).default('embedded'),
  CLICKHOUSE_URL: z.url().optional(),
  CLICKHOUSE_USER: z.string().optional(),
  CLICKHOUSE_PASSWORD: z.string().optional(),
  CLICKHOUSE_ANALYST_USER: z
    .string()
    .regex(/^[a-z_][a-z0-9_]{0,62}$/, 'must be a lower-case identifier')
    .optional(),
  CLICKHOUSE_ANALYST_PASSWORD: z.string().min(12, 'must have at least 12 characters').optional(),
  CLICKHOUSE_DATABASE: z
    .string()
    .regex(/^[a-z_][a-z0-9_]*$/, 'must be a lower-case identifier')
    .default('tandem'),
  TANDEM_PROJECTOR: z.enum(['embedded', 'off']).default('embedded'),
  TANDEM_BULK_CATCHUP: z.enum(['auto', 'off']).default('auto'),
  TANDEM_BULK_CATCHUP_MIN_EVENTS: z.coerce.number().int().min(1).max(1e12).default(50_000),
  TANDEM_BULK_CATCHUP_SLICE_EVENTS: z.coerce.number().int().min(1).max(10_000_000).default(250_000),
  TANDEM_VIEW_SNAPSHOT_MIN_LEADS: z.coerce.number().int().min(0).max(1e9).default(25_000),
  TANDEM_REPLAY_BATCH_LEADS: z.coerce.number().int().min(1).max(100_000).default(2_000),
  TANDEM_REPLAY_LEASE_SECONDS: z.coerce.number().int().min(1).max(86_400).default(30),
  // At least a day: the API promises retries within 24 h are recognised (ADR 0007).
  TANDEM_IDEMPOTENCY_TTL_HOURS: z.coerce.number().int().min(24).max(8_760).default(24),
  TANDEM_IDEMPOTENCY_LEASE_SECONDS: z.coerce.number().int().min(1).max(3_600).default(60),
  TANDEM_KAFKA: z.enum(['off', 'on']).default('off'),
  KAFKA_BROKERS: z
    .string()
    .regex(/^[^\s,:]+:\d+(,[^\s,:]+:\d+)*$/, 'must be a comma-separated list of host:port')
    .optional(),
  KAFKA_CLIENT_ID: z.string().min(1).default('tandem'),
  KAFKA_SSL: z.enum(['true', 'false']).default('false'),
  KAFKA_SASL_MECHANISM: z.enum(['plain', 'scram-sha-256', 'scram-sha-512']).optional(),
  KAFKA_SASL_USERNAME: z.string().optional(),
  KAFKA_SASL_PASSWORD: z.string().optional(),
  TANDEM_KAFKA_PARTITIONS: z.coerce.number().int().min(1).max(1000).default(6),
  TANDEM_KAFKA_REPLICATION: z.coerce.number().int().min(-1).max(16).default(-1),
  TANDEM_KAFKA_RETENTION_MS: z.coerce.number().int().min(-1).default(-1),
  // The topics' max.message.bytes (a record batch's largest size): Kafka's default, 1 MB, is
  // less than one event may take (a merge's survivor record grows with the merged lead's
  // touches, ~120 bytes each). 8 MiB: what managed clusters commonly allow.
  TANDEM_KAFKA_MAX_MESSAGE_BYTES: z.coerce
    .number()
    .int()
    .min(1024 * 1024)
    .max(64 * 1024 * 1024)
    .default(8 * 1024 * 1024),
  TANDEM_KAFKA_GROUP: z.string().min(1).default('tandem-projector'),
  TANDEM_KAFKA_TOPIC: z
    .string()
    .regex(/^[a-zA-Z0-9._-]{1,200}$/, 'must be a Kafka topic name')
    .default(LEAD_EVENTS_TOPIC),
  TANDEM_RELAY_BATCH: z.coerce.number().int().min(1).max(10000).default(500),
  TANDEM_HOST: z.string().default('127.0.0.1'),
  TANDEM_PORT: port.default(3000),
  TANDEM_CORS_ORIGINS: corsOrigins.default([]),
  TANDEM_BODY_LIMIT: bodyLimit.default(1024 * 1024),
  TANDEM_RATE_LIMIT_WRITES_PER_MINUTE: z.coerce
    .number()
    .int()
    .min(1)
    .max(MAX_WRITES_PER_MINUTE)
    .default(6_000),
  // Unset or 0: reads are not limited (ADR 0011 addendum: dashboards poll).
  TANDEM_RATE_LIMIT_READS_PER_MINUTE: z.coerce
    .number()
    .int()
    .min(0)
    .max(MAX_WRITES_PER_MINUTE)
    .default(0),
  TANDEM_HTTP_HEADERS_TIMEOUT_MS: z.coerce.number().int().min(100).max(120_000).default(10_000),
  TANDEM_HTTP_REQUEST_TIMEOUT_MS: z.coerce.number().int().min(100).max(3_600_000).default(120_000),
  TANDEM_HTTP_KEEP_ALIVE_TIMEOUT_MS: z.coerce
    .number()
    .int()
    .min(1_000)
    .max(600_000)
    .default(65_000),
  TANDEM_HTTP_MAX_HEADERS: z.coerce.number().int().min(16).max(2_000).default(100),
  TANDEM_LOG_LEVEL: z.enum(['debug', 'info', 'warn', 'error']).default('info'),
  TANDEM_AUTH_JWKS_URL: jwksUrl.optional(),
  TANDEM_AUTH_JWKS: z.string().optional(),
  TANDEM_AUTH_ISSUER: z.string().min(1).optional(),
  TANDEM_AUTH_AUDIENCE: z.string().min(1).default('tandem'),
  TANDEM_AUTH_CLOCK_SKEW_SECONDS: z.coerce.number().int().min(0).max(300).default(30),
  TANDEM_AUTH_ROLES_CLAIM: z
    .string()
    .regex(/^[\w:/.-]+$/, 'must be a claim name or a dotted path')
    .default('roles'),
  TANDEM_AUTH_ACTOR_CLAIM: z
    .string()
    .regex(/^[\w:/.-]+$/, 'must be a claim name or a dotted path')
    .default('sub'),
  TANDEM_AUTH_EMBEDDED_KEY: z.enum(['auto', 'on', 'off']).default('auto'),
  TANDEM_AUTH_TRUSTED_PROXY_SECRET: z
    .string()
    .min(32, 'must have at least 32 characters (a random secret shared with the proxy)')
    .optional(),
});

export type EventStoreConfig =
  | { readonly kind: 'pglite'; readonly dataDir: string; readonly schema: string }
  | { readonly kind: 'postgres'; readonly url: string; readonly schema: string }
  | {
      readonly kind: 'kurrentdb';
      readonly url: string;
      /**
       * Where the per-lead keys of personal data live (PostgreSQL): KurrentDB has no table
       * to shred a key from. Null only with TANDEM_PERSONAL_DATA_SEALING=off.
       */
      readonly keyStore: { readonly url: string; readonly schema: string } | null;
    };

export type ClickHouseConfig =
  | { readonly mode: 'embedded'; readonly path: string; readonly database: string }
  | {
      readonly mode: 'server';
      readonly url: string;
      readonly username?: string | undefined;
      readonly password?: string | undefined;
      readonly database: string;
      /** The read-only login `tandem migrate` creates for analysts, when configured. */
      readonly analyst?: { readonly user: string; readonly password: string } | undefined;
    };

export interface KafkaConfig {
  readonly brokers: readonly string[];
  readonly clientId: string;
  readonly ssl: boolean;
  readonly sasl: {
    readonly mechanism: 'plain' | 'scram-sha-256' | 'scram-sha-512';
    readonly username: string;
    readonly password: string;
  } | null;
  readonly topic: {
    /** Events topic; its dead-letter topic is the same name + `.dlq`. */
    readonly name: string;
    readonly dlq: string;
    readonly partitions: number;
    readonly replicationFactor: number;
    readonly retentionMs: number;
    /**
     * The topics' `max.message.bytes`, set when the relay creates them; the relay sends no
     * request whose messages add up to more, and stops on an event larger than this alone.
     */
    readonly maxMessageBytes: number;
  };
  readonly consumerGroup: string;
  readonly relayBatchSize: number;
}

/** The HTTP listener and the limits at its edge. */
export interface HttpConfig {
  readonly host: string;
  readonly port: number;
  /** Browser origins allowed by CORS; empty: CORS off (no Access-Control-* headers at all). */
  readonly corsOrigins: readonly string[];
  /** Largest request body in bytes; a larger one is refused with 413 before it is parsed. */
  readonly bodyLimitBytes: number;
  /** Writes (POST, PUT, PATCH, DELETE) per minute per caller; more get 429 with Retry-After. */
  readonly writesPerMinute: number;
  /** Reads (GET, HEAD; not /health) per minute per caller, then 429; null: not limited. */
  readonly readsPerMinute: number | null;
  /** Connection bounds (libs/http `ConnectionBounds`): against slow clients holding sockets. */
  readonly headersTimeoutMs: number;
  readonly requestTimeoutMs: number;
  readonly keepAliveTimeoutMs: number;
  readonly maxHeadersCount: number;
}

/** A JSON Web Key Set as configured (public keys only; checked again when imported). */
export interface JsonWebKeySet {
  readonly keys: readonly Record<string, unknown>[];
}

/**
 * Who may call the API (ADR 0011). Bearer JWTs are verified against `jwksUrl` and/or `jwks`
 * (issuer, audience, expiry with `clockSkewSeconds`), and against the embedded key under the
 * data directory when `embeddedKey` is on. Header identity is honoured only in trusted-proxy
 * mode, i.e. when `trustedProxySecret` is set and the proxy sends it.
 */
export interface AuthConfig {
  readonly jwksUrl: string | null;
  readonly jwks: JsonWebKeySet | null;
  /** Required `iss` of IdP tokens; null accepts any issuer the keys sign for. */
  readonly issuer: string | null;
  readonly audience: string;
  readonly clockSkewSeconds: number;
  /** Claim (or dotted path, e.g. `realm_access.roles`) holding a role or a list of roles. */
  readonly rolesClaim: string;
  /** Claim (or dotted path) naming the actor recorded in events. */
  readonly actorClaim: string;
  /** Create and trust a local signing key under `<dataDir>/auth` (the embedded default). */
  readonly embeddedKey: boolean;
  readonly trustedProxySecret: string | null;
}

export interface TandemConfig {
  /** Root of embedded data (PGlite, chDB, demo state). */
  readonly dataDir: string;
  readonly eventStore: EventStoreConfig;
  readonly clickhouse: ClickHouseConfig;
  readonly projector: 'embedded' | 'off';
  /**
   * Set-based catch-up (ADR 0006): 'auto' uses it with a PostgreSQL store and embedded
   * ClickHouse when the projection is more than `minEvents` behind, `sliceEvents` per slice.
   */
  readonly bulkCatchUp: {
    readonly mode: 'auto' | 'off';
    readonly minEvents: number;
    readonly sliceEvents: number;
  };
  /**
   * The views' snapshots of the per-lead funnel (embedded projector only): none is taken in the
   * background while the state holds fewer than `minLeads` leads; the views read the state.
   */
  readonly viewSnapshots: { readonly minLeads: number };
  /**
   * Rule replays (what-if, apply): leads per batch, one checkpoint each; and how long another
   * process's replay counts as alive after its last heartbeat (server ClickHouse only).
   */
  readonly replay: { readonly batchLeads: number; readonly leaseSeconds: number };
  /**
   * Idempotency-Key records (ADR 0007): kept `ttlHours` after a key's first use; an attempt
   * that has not answered within `leaseSeconds` counts as dead and a retry takes its key over.
   */
  readonly idempotency: { readonly ttlHours: number; readonly leaseSeconds: number };
  /** `null` when Kafka is off (embedded mode: the projector reads the store). */
  readonly kafka: KafkaConfig | null;
  readonly http: HttpConfig;
  readonly auth: AuthConfig;
  readonly logLevel: 'debug' | 'info' | 'warn' | 'error';
}

export class ConfigError extends Error {
  constructor(readonly problems: readonly string[]) {
    super(`invalid configuration:\n  ${problems.join('\n  ')}`);
    this.name = 'ConfigError';
  }
}

/** Reads and validates the environment; throws ConfigError naming every bad variable. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): TandemConfig {
  const parsed = envSchema.safeParse(env);
  if (!parsed.success) {
    throw new ConfigError(
      parsed.error.issues.map((issue) => {
        const variable = String(issue.path[0] ?? '(environment)');
        const given = env[variable];
        return issue.code === 'invalid_value'
          ? `${variable}: must be one of ${issue.values.map(String).join(', ')} (got ${JSON.stringify(given)})`
          : `${variable}: ${issue.message}`;
      }),
    );
  }
  const e = parsed.data;
  const problems: string[] = [];
  const dataDir = path.resolve(e.TANDEM_DATA_DIR);

  let eventStore: EventStoreConfig;
  switch (e.TANDEM_EVENT_STORE) {
    case 'pglite':
      eventStore = {
        kind: 'pglite',
        dataDir: path.join(dataDir, 'pglite'),
        schema: e.TANDEM_POSTGRES_SCHEMA,
      };
      break;
    case 'postgres':
      if (!e.TANDEM_POSTGRES_URL)
        problems.push('TANDEM_POSTGRES_URL: required when TANDEM_EVENT_STORE=postgres');
      eventStore = {
        kind: 'postgres',
        url: e.TANDEM_POSTGRES_URL ?? '',
        schema: e.TANDEM_POSTGRES_SCHEMA,
      };
      break;
    case 'kurrentdb':
      if (!e.KURRENTDB_URL)
        problems.push('KURRENTDB_URL: required when TANDEM_EVENT_STORE=kurrentdb');
      if (e.TANDEM_PERSONAL_DATA_SEALING === 'on' && e.TANDEM_KEY_STORE_URL === undefined) {
        problems.push(
          'TANDEM_KEY_STORE_URL: required when TANDEM_EVENT_STORE=kurrentdb (a PostgreSQL database for the per-lead keys that seal personal data); TANDEM_PERSONAL_DATA_SEALING=off stores it unsealed, for development only',
        );
      }
      eventStore = {
        kind: 'kurrentdb',
        url: e.KURRENTDB_URL ?? '',
        keyStore:
          e.TANDEM_PERSONAL_DATA_SEALING === 'on' && e.TANDEM_KEY_STORE_URL !== undefined
            ? { url: e.TANDEM_KEY_STORE_URL, schema: e.TANDEM_KEY_STORE_SCHEMA }
            : null,
      };
      break;
  }

  let clickhouse: ClickHouseConfig;
  if (e.TANDEM_CLICKHOUSE === 'server') {
    if (!e.CLICKHOUSE_URL) problems.push('CLICKHOUSE_URL: required when TANDEM_CLICKHOUSE=server');
    clickhouse = {
      mode: 'server',
      url: e.CLICKHOUSE_URL ?? '',
      username: e.CLICKHOUSE_USER,
      password: e.CLICKHOUSE_PASSWORD,
      database: e.CLICKHOUSE_DATABASE,
      analyst:
        e.CLICKHOUSE_ANALYST_USER && e.CLICKHOUSE_ANALYST_PASSWORD
          ? { user: e.CLICKHOUSE_ANALYST_USER, password: e.CLICKHOUSE_ANALYST_PASSWORD }
          : undefined,
    };
    if (Boolean(e.CLICKHOUSE_ANALYST_USER) !== Boolean(e.CLICKHOUSE_ANALYST_PASSWORD)) {
      problems.push('CLICKHOUSE_ANALYST_USER, CLICKHOUSE_ANALYST_PASSWORD: set both or neither');
    }
  } else {
    clickhouse = {
      mode: 'embedded',
      path: path.join(dataDir, 'chdb'),
      database: e.CLICKHOUSE_DATABASE,
    };
  }
  let kafka: KafkaConfig | null = null;
  if (e.TANDEM_KAFKA === 'on') {
    if (!e.KAFKA_BROKERS)
      problems.push('KAFKA_BROKERS: required when TANDEM_KAFKA=on (host:port,host:port)');
    if (e.KAFKA_SASL_MECHANISM && (!e.KAFKA_SASL_USERNAME || !e.KAFKA_SASL_PASSWORD)) {
      problems.push('KAFKA_SASL_USERNAME, KAFKA_SASL_PASSWORD: required with KAFKA_SASL_MECHANISM');
    }
    kafka = {
      brokers: (e.KAFKA_BROKERS ?? '').split(','),
      clientId: e.KAFKA_CLIENT_ID,
      ssl: e.KAFKA_SSL === 'true',
      sasl: e.KAFKA_SASL_MECHANISM
        ? {
            mechanism: e.KAFKA_SASL_MECHANISM,
            username: e.KAFKA_SASL_USERNAME ?? '',
            password: e.KAFKA_SASL_PASSWORD ?? '',
          }
        : null,
      topic: {
        name: e.TANDEM_KAFKA_TOPIC,
        dlq: `${e.TANDEM_KAFKA_TOPIC}.dlq`,
        partitions: e.TANDEM_KAFKA_PARTITIONS,
        replicationFactor: e.TANDEM_KAFKA_REPLICATION,
        retentionMs: e.TANDEM_KAFKA_RETENTION_MS,
        maxMessageBytes: e.TANDEM_KAFKA_MAX_MESSAGE_BYTES,
      },
      consumerGroup: e.TANDEM_KAFKA_GROUP,
      relayBatchSize: e.TANDEM_RELAY_BATCH,
    };
  }
  let jwks: JsonWebKeySet | null = null;
  if (e.TANDEM_AUTH_JWKS !== undefined) {
    jwks = parseJwks(e.TANDEM_AUTH_JWKS);
    if (jwks === null) {
      problems.push('TANDEM_AUTH_JWKS: must be a JSON Web Key Set: {"keys":[{...public JWK...}]}');
    }
  }
  const externalKeys = e.TANDEM_AUTH_JWKS_URL !== undefined || jwks !== null;
  // 'auto': the embedded key is the default only while no identity provider is configured,
  // so pointing Tandem at a real IdP also stops it trusting a key file on disk.
  const embeddedKey =
    e.TANDEM_AUTH_EMBEDDED_KEY === 'on' || (e.TANDEM_AUTH_EMBEDDED_KEY === 'auto' && !externalKeys);
  if (e.TANDEM_HTTP_HEADERS_TIMEOUT_MS > e.TANDEM_HTTP_REQUEST_TIMEOUT_MS) {
    problems.push(
      'TANDEM_HTTP_HEADERS_TIMEOUT_MS: must not exceed TANDEM_HTTP_REQUEST_TIMEOUT_MS (the headers are part of the request)',
    );
  }
  if (problems.length > 0) throw new ConfigError(problems);

  return {
    dataDir,
    eventStore,
    clickhouse,
    projector: e.TANDEM_PROJECTOR,
    bulkCatchUp: {
      mode: e.TANDEM_BULK_CATCHUP,
      minEvents: e.TANDEM_BULK_CATCHUP_MIN_EVENTS,
      sliceEvents: e.TANDEM_BULK_CATCHUP_SLICE_EVENTS,
    },
    viewSnapshots: { minLeads: e.TANDEM_VIEW_SNAPSHOT_MIN_LEADS },
    replay: {
      batchLeads: e.TANDEM_REPLAY_BATCH_LEADS,
      leaseSeconds: e.TANDEM_REPLAY_LEASE_SECONDS,
    },
    idempotency: {
      ttlHours: e.TANDEM_IDEMPOTENCY_TTL_HOURS,
      leaseSeconds: e.TANDEM_IDEMPOTENCY_LEASE_SECONDS,
    },
    kafka,
    http: {
      host: e.TANDEM_HOST,
      port: e.TANDEM_PORT,
      corsOrigins: e.TANDEM_CORS_ORIGINS,
      bodyLimitBytes: e.TANDEM_BODY_LIMIT,
      writesPerMinute: e.TANDEM_RATE_LIMIT_WRITES_PER_MINUTE,
      readsPerMinute:
        e.TANDEM_RATE_LIMIT_READS_PER_MINUTE === 0 ? null : e.TANDEM_RATE_LIMIT_READS_PER_MINUTE,
      headersTimeoutMs: e.TANDEM_HTTP_HEADERS_TIMEOUT_MS,
      requestTimeoutMs: e.TANDEM_HTTP_REQUEST_TIMEOUT_MS,
      keepAliveTimeoutMs: e.TANDEM_HTTP_KEEP_ALIVE_TIMEOUT_MS,
      maxHeadersCount: e.TANDEM_HTTP_MAX_HEADERS,
    },
    auth: {
      jwksUrl: e.TANDEM_AUTH_JWKS_URL ?? null,
      jwks,
      issuer: e.TANDEM_AUTH_ISSUER ?? null,
      audience: e.TANDEM_AUTH_AUDIENCE,
      clockSkewSeconds: e.TANDEM_AUTH_CLOCK_SKEW_SECONDS,
      rolesClaim: e.TANDEM_AUTH_ROLES_CLAIM,
      actorClaim: e.TANDEM_AUTH_ACTOR_CLAIM,
      embeddedKey,
      trustedProxySecret: e.TANDEM_AUTH_TRUSTED_PROXY_SECRET ?? null,
    },
    logLevel: e.TANDEM_LOG_LEVEL,
  };
}

function parseJwks(text: string): JsonWebKeySet | null {
  try {
    const parsed: unknown = JSON.parse(text);
    if (typeof parsed !== 'object' || parsed === null || !('keys' in parsed)) return null;
    const { keys } = parsed;
    if (!Array.isArray(keys) || keys.length === 0) return null;
    if (!keys.every((key) => typeof key === 'object' && key !== null && !('d' in key))) return null;
    return { keys: keys as Record<string, unknown>[] };
  } catch {
    return null;
  }
}

/**
 * Settings that work but send a credential in clear text over the network: each is logged
 * once at start-up as a warning rather than refused, because a private network (a compose
 * network, a cluster with its own encryption) can make them acceptable, and only the operator
 * knows. The JWKS URL is refused instead (see loadConfig): a swapped key is a forged identity.
 */
export function configWarnings(config: TandemConfig): string[] {
  const warnings: string[] = [];
  if (
    config.clickhouse.mode === 'server' &&
    plainHttpToRemote(config.clickhouse.url) &&
    (config.clickhouse.password || config.clickhouse.analyst || hasPassword(config.clickhouse.url))
  ) {
    warnings.push(
      `CLICKHOUSE_URL: ${redactUrl(config.clickhouse.url)} is plain http to a host that is not loopback, so the ClickHouse password crosses the network unencrypted; use https:// unless the network is private`,
    );
  }
  for (const [variable, url] of postgresUrls(config)) {
    const host = unencryptedPostgresHost(url);
    if (host !== null) {
      warnings.push(
        `${variable}: ${redactUrl(url)} reaches ${host}, not loopback, without requiring TLS (no sslmode, or sslmode=disable/allow/prefer, which fall back to clear text), so the password and every event cross the network readable; add sslmode=verify-full (or require) unless the network is private`,
      );
    }
  }
  if (config.eventStore.kind === 'kurrentdb') {
    const hosts = kurrentDbHostsWithoutTls(config.eventStore.url);
    if (hosts.length > 0) {
      warnings.push(
        `KURRENTDB_URL: tls=false to ${hosts.join(', ')}, not loopback, so the credentials and every event cross the network unencrypted; drop tls=false (TLS is the default) unless the network is private`,
      );
    }
  }
  if (config.kafka?.sasl && !config.kafka.ssl) {
    const remote = config.kafka.brokers.some(
      (broker) => !isLoopbackHost(broker.replace(/:\d+$/, '')),
    );
    if (remote) {
      warnings.push(
        'KAFKA_SASL_MECHANISM without KAFKA_SSL=true: the SASL credentials reach brokers that are not loopback unencrypted (and PLAIN sends the password itself); set KAFKA_SSL=true unless the network is private',
      );
    }
  }
  return warnings;
}

/** The PostgreSQL connection strings in use: the event store's and the key store's. */
function postgresUrls(config: TandemConfig): [variable: string, url: string][] {
  const store = config.eventStore;
  if (store.kind === 'postgres') return [['TANDEM_POSTGRES_URL', store.url]];
  if (store.kind === 'kurrentdb' && store.keyStore !== null) {
    return [['TANDEM_KEY_STORE_URL', store.keyStore.url]];
  }
  return [];
}

/** sslmode values with which libpq-style clients may talk in clear text. */
const CLEAR_TEXT_SSLMODES = new Set(['disable', 'allow', 'prefer']);

/**
 * The host a postgres:// URL reaches in clear text, or null: TLS required (sslmode=require,
 * verify-ca, verify-full, no-verify, or node-postgres's ssl=true without sslmode), a loopback
 * host, a Unix socket (`?host=/run/postgresql`, an empty host) or an unreadable URL.
 */
export function unencryptedPostgresHost(url: string): string | null {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return null;
  }
  const host = parsed.searchParams.get('host') ?? decodeURIComponent(parsed.hostname);
  if (host === '' || host.startsWith('/') || isLoopbackHost(host)) return null;
  const sslmode = parsed.searchParams.get('sslmode')?.toLowerCase();
  if (sslmode === undefined) {
    const ssl = parsed.searchParams.get('ssl')?.toLowerCase();
    return ssl === 'true' || ssl === '1' ? null : host;
  }
  return CLEAR_TEXT_SSLMODES.has(sslmode) ? host : null;
}

/**
 * The hosts a KurrentDB connection string with `tls=false` names that are not loopback (none
 * when TLS is on, the client's default). Options are case-insensitive, as the client reads them.
 */
export function kurrentDbHostsWithoutTls(connectionString: string): string[] {
  const match = /^[^:/?#]+:\/\/(?:[^@/?#]*@)?([^/?#]*)[^?#]*(?:\?([^#]*))?/.exec(connectionString);
  if (match === null) return [];
  const [, hosts = '', query = ''] = match;
  const tlsOff = query
    .split('&')
    .some((option) => /^tls=false$/i.test(decodeURIComponent(option.replace(/\+/g, ' ')).trim()));
  if (!tlsOff) return [];
  return hosts
    .split(',')
    .map((host) => host.trim().replace(/:\d+$/, ''))
    .filter((host) => host !== '' && !isLoopbackHost(host));
}

function hasPassword(url: string): boolean {
  try {
    return new URL(url).password !== '';
  } catch {
    return false;
  }
}

/** A description safe to log: kinds and locations, never credentials. */
export function describeConfig(config: TandemConfig): string {
  const store =
    config.eventStore.kind === 'pglite'
      ? `pglite at ${config.eventStore.dataDir}`
      : `${config.eventStore.kind} (${redactUrl(config.eventStore.url)})`;
  const clickhouse =
    config.clickhouse.mode === 'embedded'
      ? `chDB at ${config.clickhouse.path}`
      : `server ${redactUrl(config.clickhouse.url)}`;
  const kafka = config.kafka ? `kafka ${config.kafka.brokers.join(',')}` : 'kafka off';
  const auth = [
    config.auth.jwksUrl ? `jwks ${redactUrl(config.auth.jwksUrl)}` : null,
    config.auth.jwks ? `${config.auth.jwks.keys.length} configured key(s)` : null,
    config.auth.embeddedKey ? 'embedded key' : null,
    config.auth.trustedProxySecret ? 'trusted proxy' : null,
  ].filter((part) => part !== null);
  return `event store: ${store}; analytics: ${clickhouse}; projector: ${config.projector}; ${kafka}; auth: ${auth.join(', ') || 'none'}`;
}

/**
 * Query parameters that carry a credential: libpq and node-postgres read `?password=`, and a
 * URL may carry a token or a signature (`access_token`, `sig`, `apikey`, `secret` …).
 */
const SECRET_PARAMETER = /pass|secret|token|key|auth|cred|sig/i;

/** The URL with its password and credential-bearing query parameters replaced by `***`. */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    for (const name of [...parsed.searchParams.keys()]) {
      if (SECRET_PARAMETER.test(name)) parsed.searchParams.set(name, '***');
    }
    return parsed.toString();
  } catch {
    return '(unparseable url)';
  }
}
