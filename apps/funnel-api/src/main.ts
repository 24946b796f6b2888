/**
 * `npm start`: the funnel API on the configured engines. In embedded mode this
 * process owns the PGlite and chDB data directories; other tools (the CLI, a
 * browser) reach them through its HTTP API.
 */
import { type EmbeddedSigningKey, mintAccessToken } from '@tandem/auth';
import {
  configWarnings,
  describeConfig,
  loadConfig,
  loadObservabilityConfig,
  ConfigError,
} from '@tandem/config';
import { startTracing } from '@tandem/observability';
import { EMBEDDED_SIGNING_KEY } from './auth/auth.providers';
import { dashboardStartLine } from './dashboard/dashboard-start-link';
import { createFunnelApi } from './funnel-api';

async function main(): Promise<void> {
  let config;
  try {
    config = loadConfig();
    loadObservabilityConfig();
  } catch (error) {
    if (error instanceof ConfigError) {
      console.error(error.message);
      process.exit(2);
    }
    throw error;
  }
  // Before the app: spans need the SDK registered when the first request arrives.
  const tracing = startTracing('tandem-funnel-api');
  const app = await createFunnelApi(config);
  await app.listen(config.http.port, config.http.host);
  const url = await app.getUrl();
  console.log(`tandem funnel-api listening on ${url} (${describeConfig(config)})`);
  for (const warning of configWarnings(config)) console.warn(`warning: ${warning}`);
  // Embedded mode: a link to the dashboard, with a read-only token only at a terminal.
  const key = app.get<EmbeddedSigningKey | null>(EMBEDDED_SIGNING_KEY);
  if (key !== null) {
    const line = await dashboardStartLine(url, process.stdout.isTTY === true, () =>
      mintAccessToken(key, {
        roles: ['analyst'],
        actor: 'dashboard',
        audience: config.auth.audience,
        ttlSeconds: 8 * 3_600,
      }),
    );
    console.log(line);
  }
  const stop = () => {
    void app
      .close()
      .then(() => tracing.shutdown())
      .then(() => process.exit(0));
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? (error.stack ?? error.message) : error);
  process.exit(1);
});
