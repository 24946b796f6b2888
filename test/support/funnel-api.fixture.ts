/**
 * Boots a real funnel API for integration tests: PGlite in a temp directory,
 * chDB at one path per jest process with a database of its own per fixture,
 * the embedded projector on. Nothing is mocked.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { INestApplication } from '@nestjs/common';
import type { TandemConfig } from '@tandem/config';
import type { EventStore } from '@tandem/event-store';
import { DEFAULT_CONNECTION_BOUNDS } from '@tandem/http';
import request from 'supertest';
import type { App } from 'supertest/types';
import { createFunnelApi } from '../../apps/funnel-api/src/funnel-api';
import { EVENT_STORE } from '../../apps/funnel-api/src/platform/tokens';
import { asRole, testAuthConfig } from './auth-headers';
import { eventually } from './eventually';

export interface FunnelApiFixture {
  readonly app: INestApplication;
  readonly store: EventStore;
  readonly config: TandemConfig;
  close(): Promise<void>;
}

let sequence = 0;

/** What startFunnelApi may be told beyond its defaults. */
export interface FunnelApiOptions {
  readonly replayBatchLeads?: number;
  /** Overrides of the HTTP edge limits (CORS origins, body limit, writes per minute). */
  readonly http?: Partial<Omit<TandemConfig['http'], 'host' | 'port'>>;
  /** Overrides of authentication (default: trust the test key only; see auth-headers). */
  readonly auth?: Partial<TandemConfig['auth']>;
  /** Another event store (default: PGlite in the fixture's temp directory). */
  readonly eventStore?: TandemConfig['eventStore'];
  /**
   * The state's size below which the views take no snapshot in the background (default 0:
   * the specs' small stores are snapshotted as a large one is; the API's default is 25,000).
   */
  readonly viewSnapshotMinLeads?: number;
  /** The set-based catch-up's thresholds (default: the API's, 50,000 behind, 250,000 a slice). */
  readonly bulkCatchUp?: Pick<TandemConfig['bulkCatchUp'], 'minEvents' | 'sliceEvents'>;
}

export async function startFunnelApi(
  chdbPath: string,
  options: FunnelApiOptions = {},
): Promise<FunnelApiFixture> {
  const dataDir = await mkdtemp(join(tmpdir(), 'tandem-api-int-'));
  const config = funnelApiConfig(dataDir, chdbPath, options);
  const app = await createFunnelApi(config);
  return {
    app,
    config,
    store: app.get<EventStore>(EVENT_STORE),
    close: async () => {
      await app.close();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

/**
 * The configuration startFunnelApi boots with: PGlite under `dataDir`, chDB at `chdbPath` with
 * a database of its own, the embedded projector; for specs that build a part of the API alone.
 */
export function funnelApiConfig(
  dataDir: string,
  chdbPath: string,
  options: FunnelApiOptions = {},
): TandemConfig {
  return {
    dataDir,
    eventStore: options.eventStore ?? {
      kind: 'pglite',
      dataDir: join(dataDir, 'pglite'),
      schema: 'tandem',
    },
    clickhouse: {
      mode: 'embedded',
      path: chdbPath,
      database: `api_int_${process.pid}_${Date.now()}_${sequence++}`,
    },
    projector: 'embedded',
    bulkCatchUp: { mode: 'auto', minEvents: 50_000, sliceEvents: 250_000, ...options.bulkCatchUp },
    viewSnapshots: { minLeads: options.viewSnapshotMinLeads ?? 0 },
    replay: { batchLeads: options.replayBatchLeads ?? 500, leaseSeconds: 30 },
    idempotency: { ttlHours: 24, leaseSeconds: 60 },
    kafka: null,
    http: {
      host: '127.0.0.1',
      port: 0,
      corsOrigins: [],
      bodyLimitBytes: 1024 * 1024,
      writesPerMinute: 6_000,
      readsPerMinute: null,
      ...DEFAULT_CONNECTION_BOUNDS,
      ...options.http,
    },
    auth: testAuthConfig(options.auth),
    logLevel: 'error',
  };
}

/** An API started once for a spec file; read its parts inside hooks and tests. */
export interface FunnelApiPerFile {
  readonly api: FunnelApiFixture;
  readonly http: App;
}

/**
 * Starts one API for the whole spec file, with chDB in a temp directory of its own (`name`
 * tells them apart), before the first test, and closes both after the last. Call it at the
 * top level of the spec; hooks the spec adds after the call run once the API is up.
 */
export function funnelApiPerFile(
  name: string,
  options: Parameters<typeof startFunnelApi>[1] = {},
): FunnelApiPerFile {
  let chdbPath: string | null = null;
  let started: FunnelApiPerFile | null = null;
  beforeAll(async () => {
    chdbPath = await mkdtemp(join(tmpdir(), `tandem-${name}-chdb-`));
    const api = await startFunnelApi(chdbPath, options);
    started = { api, http: api.app.getHttpServer() as App };
  });
  afterAll(async () => {
    await started?.api.close();
    if (chdbPath !== null) await rm(chdbPath, { recursive: true, force: true });
  });
  const running = (): FunnelApiPerFile => {
    if (started === null) throw new Error(`the ${name} API is used before it started`);
    return started;
  };
  return {
    get api() {
      return running().api;
    },
    get http() {
      return running().http;
    },
  };
}

/** Resolves once the API's embedded projector has reached the store's head (polls /health). */
export async function waitForProjection(http: App, timeoutMs = 120_000): Promise<void> {
  await eventually(
    async () => {
      const health = await request(http)
        .get('/health')
        .set(asRole('ops', 'projection-watcher@test.tandem'))
        .expect(200);
      return (health.body as { projector: { caughtUp: boolean } }).projector.caughtUp
        ? true
        : undefined;
    },
    'projection catches up',
    timeoutMs,
  );
}
