/**
 * `npm start`: the funnel API on the configured engines. In embedded mode this
 * process owns the PGlite and chDB data directories; other tools (the CLI, a
 * browser) reach them through its HTTP API.
 */
import { describeConfig, loadConfig, loadObservabilityConfig, ConfigError } from '@tandem/config';
import { startTracing } from '@tandem/observability';
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
  console.log(`tandem funnel-api listening on ${await app.getUrl()} (${describeConfig(config)})`);
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
