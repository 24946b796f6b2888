/**
 * Wiring of the funnel API: the ports (event store, analytics), the command and
 * query handlers, the controllers. Built from a validated TandemConfig so tests
 * and the demo can run several differently configured instances.
 */
import { AcceptableGuard } from './http/acceptable.guard';
import {
  type DynamicModule,
  Inject,
  Module,
  type OnApplicationShutdown,
  type Provider,
} from '@nestjs/common';
import { APP_FILTER, APP_GUARD, APP_INTERCEPTOR } from '@nestjs/core';
import { CqrsModule } from '@nestjs/cqrs';
import type { TandemConfig } from '@tandem/config';
import type { EventStore } from '@tandem/event-store';
import type { Logger } from 'pino';
import { AnalyticsController } from './analytics/analytics.controller';
import { AccessGuard } from './auth/access.guard';
import { authProviders } from './auth/auth.providers';
import { DashboardController } from './dashboard/dashboard.controller';
import { EmbeddedProjector } from './projector/embedded-projector.service';
import { RuleReplays } from './rules/rule-replays.service';
import { RuleSetActivation } from './rules/rule-set-activation.service';
import { RuleSetApplies } from './rules/rule-set-applies.service';
import { RulesOpsController } from './rules/rules-ops.controller';
import { ActivateFunnelDefinitionHandler } from './definitions/activate-funnel-definition.handler';
import { ActiveDefinition } from './definitions/active-definition.service';
import { DefinitionsController } from './definitions/definitions.controller';
import { PublishFunnelDefinitionHandler } from './definitions/publish-funnel-definition.handler';
import { HealthController } from './health/health.controller';
import { ReconciliationMonitor } from './health/reconciliation-monitor.service';
import { MasterKeyRotationService } from './health/master-key-rotation.service';
import { ApiKeysController } from './ops/api-keys.controller';
import { OpsController } from './ops/ops.controller';
import { ErrorFilter } from './http/error.filter';
import { RateLimitModule } from './http/rate-limit.module';
import { IdempotencyInterceptor } from './http/idempotency/idempotency.interceptor';
import { ExecuteLeadCommandHandler } from './leads/execute-lead-command.handler';
import { GetLeadTimelineHandler } from './leads/get-lead-timeline.handler';
import { LeadsController } from './leads/leads.controller';
import { ObservabilityController } from './observability/observability.controller';
import { observabilityProviders } from './observability/observability.providers';
import { RecordPlanningFactHandler } from './planning/record-planning-fact.handler';
import { RecordAnonymousTouchpointHandler } from './visitors/record-anonymous-touchpoint.handler';
import { VisitorsController } from './visitors/visitors.controller';
import { PlanningController } from './planning/planning.controller';
import { analyticsProvider, type AnalyticsHandle } from './platform/analytics.provider';
import { eventStoreProvider } from './platform/event-store.provider';
import { ANALYTICS, EVENT_STORE, LOGGER, TANDEM_CONFIG } from './platform/tokens';

/** Closes the ports last, after every consumer of them has stopped. */
class PortsLifecycle implements OnApplicationShutdown {
  constructor(
    @Inject(EVENT_STORE) private readonly store: EventStore,
    @Inject(ANALYTICS) private readonly analytics: AnalyticsHandle,
  ) {}

  async onApplicationShutdown(): Promise<void> {
    await this.store.close();
    await this.analytics.close();
  }
}

@Module({})
export class AppModule {
  static forConfig(config: TandemConfig, logger: Logger): DynamicModule {
    const providers: Provider[] = [
      { provide: TANDEM_CONFIG, useValue: config },
      { provide: LOGGER, useValue: logger },
      eventStoreProvider,
      analyticsProvider,
      ...authProviders,
      { provide: APP_GUARD, useClass: AccessGuard },
      { provide: APP_GUARD, useClass: AcceptableGuard },
      { provide: APP_FILTER, useClass: ErrorFilter },
      { provide: APP_INTERCEPTOR, useClass: IdempotencyInterceptor },
      PortsLifecycle,
      ActiveDefinition,
      ExecuteLeadCommandHandler,
      GetLeadTimelineHandler,
      PublishFunnelDefinitionHandler,
      ActivateFunnelDefinitionHandler,
      RecordPlanningFactHandler,
      RecordAnonymousTouchpointHandler,
      RuleReplays,
      RuleSetActivation,
      RuleSetApplies,
      ReconciliationMonitor,
      MasterKeyRotationService,
      ...observabilityProviders,
    ];
    if (config.projector === 'embedded') providers.push(EmbeddedProjector);
    return {
      module: AppModule,
      imports: [CqrsModule.forRoot(), RateLimitModule.forLimits(config.http)],
      controllers: [
        LeadsController,
        DefinitionsController,
        PlanningController,
        VisitorsController,
        AnalyticsController,
        HealthController,
        OpsController,
        ApiKeysController,
        RulesOpsController,
        DashboardController,
        ObservabilityController,
      ],
      providers,
    };
  }
}
