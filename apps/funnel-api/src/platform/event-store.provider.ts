/**
 * Builds the configured event store and makes sure its schema exists. The API's appends are
 * measured (latency histogram) and traced (the append span's context stored in each event),
 * and seal personal data per lead (ADR 0009); where the master key came from is logged once,
 * loudly when it is the generated local development key; a lead whose key does not unwrap is
 * logged as an error once.
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
        // Once per lead and master key in this process: its timeline shows the personal fields
        // withheld until an operator restores the row (docs/personal-data.md).
        onKeyNotUnwrapped: (leadId, wrappedBy) => {
          logger.error(
            { leadId, keyWrappedBy: wrappedBy },
            'the personal data key of a lead does not unwrap: its personal fields are withheld until its key row is restored (docs/personal-data.md, "Keys that do not unwrap")',
          );
        },
      }),
      metrics.appendSeconds,
    ),
};
