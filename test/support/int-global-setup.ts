/**
 * jest globalSetup of the `int` tier: builds `dist/` (worker processes run the
 * real build, as in production), starts one real Kafka broker for the run, and,
 * where a Docker engine exists, KurrentDB and a ClickHouse server.
 */
import { execFileSync } from 'node:child_process';
import * as path from 'node:path';
import { startDockerEngines } from './docker-engines';
import kafkaGlobalSetup from './kafka-global-setup';

export const DOCKER_ENGINES_GLOBAL = '__TANDEM_TEST_DOCKER_ENGINES__';

export default async function intGlobalSetup(): Promise<void> {
  execFileSync('npm', ['run', '--silent', 'build'], {
    cwd: path.resolve(__dirname, '../..'),
    stdio: 'inherit',
  });
  await kafkaGlobalSetup();
  (globalThis as Record<string, unknown>)[DOCKER_ENGINES_GLOBAL] = await startDockerEngines();
}
