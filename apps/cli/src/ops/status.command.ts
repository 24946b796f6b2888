/**
 * `tandem status`: the API's /health document (store head, projection position
 * and failures, last reconciliation) as JSON, with or without --json: it has
 * always been JSON, and scripts read it.
 */
import type { ApiClient } from '../api-client';
import { asJson, type CliIo, terminalCliIo } from '../cli-io';

export async function statusCommand(
  api: Pick<ApiClient, 'get'>,
  io: Pick<CliIo, 'print'> = terminalCliIo,
): Promise<number> {
  io.print(asJson(await api.get('/health')));
  return 0;
}
