/**
 * Wiring of authentication: the embedded signing key (created under the data directory on
 * first start when the embedded default is on), the token verifier, the API-key store (the
 * event store's own, handed on by its wrappers; `null` on KurrentDB) and the request
 * authenticator, built once from the validated config.
 */
import type { Provider } from '@nestjs/common';
import {
  createAccessTokenVerifier,
  type EmbeddedSigningKey,
  loadOrCreateEmbeddedKey,
} from '@tandem/auth';
import type { TandemConfig } from '@tandem/config';
import { type ApiKeyStore, type EventStore, supportsApiKeys } from '@tandem/event-store';
import { API_KEYS, EVENT_STORE, TANDEM_CONFIG } from '../platform/tokens';
import { RequestAuthenticator } from './request-authenticator';

export const EMBEDDED_SIGNING_KEY = Symbol('EMBEDDED_SIGNING_KEY');

export const authProviders: Provider[] = [
  {
    provide: EMBEDDED_SIGNING_KEY,
    inject: [TANDEM_CONFIG],
    useFactory: (config: TandemConfig): Promise<EmbeddedSigningKey | null> =>
      config.auth.embeddedKey ? loadOrCreateEmbeddedKey(config.dataDir) : Promise.resolve(null),
  },
  {
    provide: API_KEYS,
    inject: [EVENT_STORE],
    useFactory: (store: EventStore): ApiKeyStore | null =>
      supportsApiKeys(store) ? store.apiKeys : null,
  },
  {
    provide: RequestAuthenticator,
    inject: [TANDEM_CONFIG, EMBEDDED_SIGNING_KEY, API_KEYS],
    useFactory: (
      config: TandemConfig,
      key: EmbeddedSigningKey | null,
      apiKeys: ApiKeyStore | null,
    ) =>
      new RequestAuthenticator(config.auth, createAccessTokenVerifier(config.auth, key), apiKeys),
  },
];
