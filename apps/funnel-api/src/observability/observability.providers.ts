/** The funnel API's observability, as AppModule registers it (one line there). */
import type { Provider } from '@nestjs/common';
import { ApiMetrics } from './api-metrics';
import { CommandMetrics } from './command-metrics';
import { ProjectionGauges } from './projection-gauges';
import { ReadinessProbe } from './readiness';

export const observabilityProviders: Provider[] = [
  ApiMetrics,
  CommandMetrics,
  ProjectionGauges,
  ReadinessProbe,
];
