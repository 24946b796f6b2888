/**
 * Builds the configured event store and makes sure its schema exists. The API's appends are
 * measured (latency histogram) and traced (the append span's context stored in each event),
 * and seal personal data per lead (ADR 0009); where the master key came from is logged once,
 * loudly when it is the generated local development key.
 */
import type { Provider } from '@nestjs/common';
import type { TandemConfig } from '@tandem/config';
import { createEventStore } from '@tandem/event-store';
import { instrumentEventStore } from '@tandem/observability';
import type { Logger } from 'pino';
import { ApiMetrics } from '../observability/api-metrics';
import { EVENT_STORE, LOGGER, TANDEM_CONFIG } from './tokens';

export const eventStoreProvider: Provider = {
  provide: EVENT_STORE,
  inject: [TANDEM_CONFIG, ApiMetrics, LOGGER],
  useFactory: async (config: TandemConfig, metrics: ApiMetrics, logger: Logger) =>
    instrumentEventStore(
      await createEventStore(config.eventStore, {
        keyDir: config.dataDir,
        onMasterKey: (source) => {
          if (source === 'TANDEM_MASTER_KEY') {
            logger.info({ masterKey: source }, 'personal data sealed under TANDEM_MASTER_KEY');
          } else {
            logger.warn(
              { masterKey: source },
              'personal data sealed under a LOCAL DEVELOPMENT master key: set TANDEM_MASTER_KEY in production (docs/personal-data.md)',
            );
          }
        },
      }),
      metrics.appendSeconds,
    ),
};
