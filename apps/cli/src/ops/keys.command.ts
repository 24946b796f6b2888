/**
 * `tandem keys create|list|revoke`: API keys for integrations from the ops command line,
 * through the API's /ops/api-keys routes (ADR 0011). `create` prints the key on stdout once
 * (the API keeps only its hash) and the warning to store it on stderr, so
 * `tandem keys create … > key.txt` captures the key alone.
 * It must never write a key anywhere but stdout, nor print one on a later command.
 */
import type { Role } from '@tandem/domain';
import { describeRefusal, refusalOf } from '../api-client';
import { asJson, type CliIo } from '../cli-io';
import { renderTable } from '../text-table';

/** The part of ApiClient these commands use (a fake in unit specs). */
export interface KeysApi {
  get<T>(path: string): Promise<T>;
  post<T>(path: string, body: unknown, role: Role, actor: string): Promise<T>;
  delete(path: string, role: Role, actor: string): Promise<void>;
}

export interface ApiKeyView {
  readonly keyId: string;
  readonly name: string;
  readonly roles: readonly Role[];
  readonly actor: string;
  readonly status: 'active' | 'revoked';
  readonly createdAt: string;
  readonly createdBy: string;
  readonly revokedAt: string | null;
  readonly revokedBy: string | null;
  readonly lastUsedAt: string | null;
}

export interface CreateKeyOptions {
  readonly name: string;
  readonly roles: readonly Role[];
  readonly actor: string | null;
  readonly json: boolean;
}

type Output = Pick<CliIo, 'print' | 'warn'>;

/** Who the CLI acts as when its credential is minted from the embedded key. */
const CLI_ACTOR = 'tandem-cli';

export async function createKey(
  api: KeysApi,
  options: CreateKeyOptions,
  io: Output,
): Promise<number> {
  return refusalsExit(io, async () => {
    const created = await api.post<ApiKeyView & { apiKey: string }>(
      '/ops/api-keys',
      {
        name: options.name,
        roles: options.roles,
        ...(options.actor === null ? {} : { actor: options.actor }),
      },
      'ops',
      CLI_ACTOR,
    );
    io.print(options.json ? asJson(created) : created.apiKey);
    io.warn(
      `created API key ${created.keyId} (${created.name}: ${created.roles.join(', ')}; events ` +
        `record ${created.actor}). Store it now: it is not shown again. Send it as ` +
        `Authorization: Bearer <key>; revoke with tandem keys revoke ${created.keyId}`,
    );
    return 0;
  });
}

export async function listKeys(api: KeysApi, options: { json: boolean }, io: Output) {
  return refusalsExit(io, async () => {
    const { keys } = await api.get<{ keys: ApiKeyView[] }>('/ops/api-keys');
    if (options.json) {
      io.print(asJson({ keys }));
      return 0;
    }
    if (keys.length === 0) {
      io.print('no API keys yet: tandem keys create --name <name> --role <roles>');
      return 0;
    }
    renderTable('API keys', keys, [
      { header: 'id', align: 'left', value: (key) => key.keyId },
      { header: 'name', align: 'left', value: (key) => key.name },
      { header: 'roles', align: 'left', value: (key) => key.roles.join(',') },
      { header: 'actor', align: 'left', value: (key) => key.actor },
      { header: 'status', align: 'left', value: (key) => key.status },
      { header: 'created', align: 'left', value: (key) => `${key.createdAt} by ${key.createdBy}` },
      { header: 'last used', align: 'left', value: (key) => key.lastUsedAt ?? 'never' },
    ]).forEach((line) => io.print(line));
    return 0;
  });
}

export async function revokeKey(
  api: KeysApi,
  keyId: string,
  options: { json: boolean },
  io: Output,
): Promise<number> {
  return refusalsExit(io, async () => {
    await api.delete(`/ops/api-keys/${encodeURIComponent(keyId)}`, 'ops', CLI_ACTOR);
    io.print(options.json ? asJson({ revoked: keyId }) : `revoked API key ${keyId}`);
    return 0;
  });
}

/** A 4xx is the answer "no" (exit 1, its reason on stderr); outages and bugs stay errors. */
async function refusalsExit(io: Output, work: () => Promise<number>): Promise<number> {
  try {
    return await work();
  } catch (error) {
    const refusal = refusalOf(error);
    if (refusal === null) throw error;
    describeRefusal(refusal).forEach((line) => io.warn(line));
    return 1;
  }
}
