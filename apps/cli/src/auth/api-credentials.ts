/**
 * How the CLI (and the demo, and tools built on its ApiClient) prove who they are to the
 * API: TANDEM_TOKEN when set (a token from the identity provider, or an API key; its own
 * identity counts, whatever role a command would use), else, on the machine of an embedded
 * Tandem, tokens minted from the embedded key under the data directory, for the role each
 * command needs and the actor the CLI names. Without either, requests go without a
 * credential and the API's 401 says what to do.
 *
 * It must never create a signing key (that is the API's first start, or `tandem token`),
 * print a token, or send one anywhere but the configured API.
 */
import { type EmbeddedSigningKey, mintAccessToken, readEmbeddedKey } from '@tandem/auth';
import { loadConfig } from '@tandem/config';
import type { Role } from '@tandem/domain';

export interface ApiCredentials {
  /** The Authorization header for a call made as `role` by `actor`; `null`: send none. */
  authorization(role: Role, actor: string): Promise<string | null>;
}

export const noCredentials: ApiCredentials = { authorization: () => Promise.resolve(null) };

export function bearerToken(token: string): ApiCredentials {
  return { authorization: () => Promise.resolve(`Bearer ${token}`) };
}

/** Short-lived tokens, one per (role, actor), renewed well before they expire. */
export function embeddedKeyCredentials(key: EmbeddedSigningKey, audience: string): ApiCredentials {
  const lifetimeSeconds = 15 * 60;
  const cache = new Map<string, { header: string; renewAt: number }>();
  return {
    async authorization(role, actor) {
      const cacheKey = `${role}\n${actor}`;
      const cached = cache.get(cacheKey);
      if (cached && cached.renewAt > Date.now()) return cached.header;
      const token = await mintAccessToken(key, {
        roles: [role],
        actor,
        audience,
        ttlSeconds: lifetimeSeconds,
      });
      const header = `Bearer ${token}`;
      cache.set(cacheKey, { header, renewAt: Date.now() + (lifetimeSeconds / 2) * 1000 });
      return header;
    },
  };
}

/** The credentials of `env`, worked out on the first request (most commands make one). */
export function credentialsFromEnvironment(
  env: Readonly<Record<string, string | undefined>>,
): ApiCredentials {
  let resolved: Promise<ApiCredentials> | null = null;
  return {
    authorization: async (role, actor) => {
      resolved ??= resolveApiCredentials(env);
      return (await resolved).authorization(role, actor);
    },
  };
}

/** TANDEM_TOKEN, else the embedded key if this machine has one, else none. */
export async function resolveApiCredentials(
  env: Readonly<Record<string, string | undefined>>,
): Promise<ApiCredentials> {
  const token = env.TANDEM_TOKEN?.trim();
  if (token) return bearerToken(token);
  let config;
  try {
    config = loadConfig(env);
  } catch {
    // A CLI pointed at a remote API need not have a valid local configuration.
    return noCredentials;
  }
  if (!config.auth.embeddedKey) return noCredentials;
  const key = await readEmbeddedKey(config.dataDir);
  return key === null ? noCredentials : embeddedKeyCredentials(key, config.auth.audience);
}
