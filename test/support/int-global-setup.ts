/**
 * jest globalSetup of the `int` tier: builds `dist/` (worker processes run the
 * real build, as in production) and starts one real Kafka broker for the run.
 */
import { execFileSync } from 'node:child_process';
import * as path from 'node:path';
import kafkaGlobalSetup from './kafka-global-setup';

export default async function intGlobalSetup(): Promise<void> {
  execFileSync('npm', ['run', '--silent', 'build'], {
    cwd: path.resolve(__dirname, '../..'),
    stdio: 'inherit',
  });
  await kafkaGlobalSetup();
}
