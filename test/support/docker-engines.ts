/**
 * Engines that cannot run on the reference machines (KurrentDB, a ClickHouse
 * server) start in containers where a Docker engine is reachable, through
 * testcontainers. Without Docker nothing starts and the suites that need them
 * say why they skip; an explicit URL in the environment always wins.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

export function dockerEngineReachable(): boolean {
  const endpoint = (process.env.DOCKER_HOST ?? '') !== '' || existsSync('/var/run/docker.sock');
  if (!endpoint) return false;
  const probe = spawnSync('docker', ['info', '--format', '{{.ServerVersion}}'], {
    stdio: 'ignore',
    timeout: 5_000,
  });
  return probe.status === 0;
}

export interface StartedEngines {
  stop(): Promise<void>;
}

/** Starts what is missing and exports its URL to the test workers. */
export async function startDockerEngines(): Promise<StartedEngines> {
  const wantKurrent = !process.env.KURRENTDB_URL;
  const wantClickHouse = !process.env.TANDEM_TEST_CLICKHOUSE_URL;
  if ((!wantKurrent && !wantClickHouse) || !dockerEngineReachable()) {
    return { stop: async () => undefined };
  }
  const { GenericContainer, Wait } = await import('testcontainers');
  const started: { stop(): Promise<unknown> }[] = [];
  if (wantKurrent) {
    const kurrent = await new GenericContainer('kurrentplatform/kurrentdb:26.1.2')
      .withEnvironment({ KURRENTDB_INSECURE: 'true', KURRENTDB_RUN_PROJECTIONS: 'None' })
      .withExposedPorts(2113)
      .withWaitStrategy(Wait.forHttp('/health/live', 2113).forStatusCode(204))
      .start();
    started.push(kurrent);
    process.env.KURRENTDB_URL = `kurrentdb://${kurrent.getHost()}:${kurrent.getMappedPort(2113)}?tls=false`;
  }
  if (wantClickHouse) {
    const clickhouse = await new GenericContainer('clickhouse/clickhouse-server:25.8')
      .withEnvironment({ CLICKHOUSE_USER: 'tandem', CLICKHOUSE_PASSWORD: 'tandem' })
      .withExposedPorts(8123)
      .withWaitStrategy(Wait.forHttp('/ping', 8123))
      .start();
    started.push(clickhouse);
    process.env.TANDEM_TEST_CLICKHOUSE_URL = `http://${clickhouse.getHost()}:${clickhouse.getMappedPort(8123)}`;
    process.env.TANDEM_TEST_CLICKHOUSE_USER = 'tandem';
    process.env.TANDEM_TEST_CLICKHOUSE_PASSWORD = 'tandem';
  }
  return {
    stop: async () => {
      for (const container of started) await container.stop();
    },
  };
}
