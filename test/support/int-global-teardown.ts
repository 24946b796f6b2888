/** jest globalTeardown of the `int` tier: stops what int-global-setup started. */
import type { StartedEngines } from './docker-engines';
import { DOCKER_ENGINES_GLOBAL } from './int-global-setup';
import kafkaGlobalTeardown from './kafka-global-teardown';

export default async function intGlobalTeardown(): Promise<void> {
  const engines = (globalThis as Record<string, unknown>)[DOCKER_ENGINES_GLOBAL] as
    StartedEngines | undefined;
  await engines?.stop();
  await kafkaGlobalTeardown();
}
