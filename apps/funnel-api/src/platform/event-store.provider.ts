/**
 * Builds the configured event store and makes sure its schema exists. The API's appends are
 * measured (latency histogram) and traced (the append span's context stored in each event).
 */
import type { Provider } from '@nestjs/common';
import type { TandemConfig } from '@tandem/config';
import { createEventStore } from '@tandem/event-store';
import { instrumentEventStore } from '@tandem/observability';
import { ApiMetrics } from '../observability/api-metrics';
import { EVENT_STORE, TANDEM_CONFIG } from './tokens';

export const eventStoreProvider: Provider = {
  provide: EVENT_STORE,
  inject: [TANDEM_CONFIG, ApiMetrics],
  useFactory: async (config: TandemConfig, metrics: ApiMetrics) =>
    instrumentEventStore(await createEventStore(config.eventStore), metrics.appendSeconds),
};
