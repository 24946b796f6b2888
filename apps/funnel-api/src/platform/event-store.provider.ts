/** Builds the configured event store and makes sure its schema exists. */
import type { Provider } from '@nestjs/common';
import type { TandemConfig } from '@tandem/config';
import { createEventStore } from '@tandem/event-store';
import { EVENT_STORE, TANDEM_CONFIG } from './tokens';

export const eventStoreProvider: Provider = {
  provide: EVENT_STORE,
  inject: [TANDEM_CONFIG],
  useFactory: (config: TandemConfig) => createEventStore(config.eventStore),
};
