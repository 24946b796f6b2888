/**
 * `tandem token --role ops --actor you@example.com [--ttl 8h] [--dashboard]`: mints a bearer
 * token from the embedded signing key of this machine's data directory (creating the key if
 * the API has not started yet, exactly as its first start would), and prints it, or with
 * `--dashboard` the dashboard's address carrying it in the fragment (never sent to a server,
 * kept in the tab's sessionStorage by the page).
 *
 * It must never mint when the embedded key is off (an identity provider issues tokens then),
 * or print anything on stdout but the token or the address.
 */
import {
  ACTOR_RULE,
  isRecordableActor,
  loadOrCreateEmbeddedKey,
  MAX_TOKEN_TTL_SECONDS,
  mintAccessToken,
} from '@tandem/auth';
import type { TandemConfig } from '@tandem/config';
import type { Role } from '@tandem/domain';
import { UsageError } from '../usage-error';

export interface TokenOptions {
  readonly roles: readonly Role[];
  readonly actor: string;
  readonly ttlSeconds: number;
  /** Print `<api>/dashboard#token=…` instead of the bare token. */
  readonly dashboardUrl: string | null;
}

const UNITS: Readonly<Record<string, number>> = { s: 1, m: 60, h: 3_600, d: 86_400 };

/** `900`, `15m`, `8h`, `30d` → seconds; at most a year. */
export function parseTokenTtl(text: string): number {
  const match = /^(\d+)([smhd]?)$/.exec(text.trim());
  const seconds = match ? Number(match[1]) * (UNITS[match[2] || 's'] ?? 1) : Number.NaN;
  if (!Number.isSafeInteger(seconds) || seconds < 1 || seconds > MAX_TOKEN_TTL_SECONDS) {
    throw new UsageError(
      `--ttl must be a lifetime such as 900, 15m, 8h or 30d, at most ${MAX_TOKEN_TTL_SECONDS / 86_400} days (got ${text})`,
    );
  }
  return seconds;
}

export async function mintToken(config: TandemConfig, options: TokenOptions): Promise<string> {
  if (!config.auth.embeddedKey) {
    throw new UsageError(
      'the embedded signing key is off (an identity provider is configured, or ' +
        'TANDEM_AUTH_EMBEDDED_KEY=off): get a token from the identity provider',
    );
  }
  // The API's verifier refuses a token naming any other actor (401 on every request): say so
  // here, before a key is made and a token that can never be used is printed.
  if (!isRecordableActor(options.actor)) {
    throw new UsageError(
      `--actor must be ${ACTOR_RULE} (it is recorded in every event the token writes)`,
    );
  }
  const key = await loadOrCreateEmbeddedKey(config.dataDir);
  const token = await mintAccessToken(key, {
    roles: options.roles,
    actor: options.actor,
    audience: config.auth.audience,
    ttlSeconds: options.ttlSeconds,
  });
  return options.dashboardUrl === null ? token : dashboardLink(options.dashboardUrl, token);
}

/** The fragment never reaches a server or its logs; the page moves it to sessionStorage. */
export const dashboardLink = (apiUrl: string, token: string): string =>
  `${new URL('/dashboard', apiUrl).toString()}#token=${token}`;
