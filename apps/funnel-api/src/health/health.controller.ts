/**
 * Liveness and readiness: is the store reachable, how far the projection lags, which events it
 * set aside and why (a failing batch shows as `failure` while it is retried), whether the views
 * answer from their snapshot yet (after a first projection or a rebuild they fold the whole
 * state until it is marked), which kept rule sets hold rows computed by other code than this
 * and are being re-derived (RuleReplays), the last background reconciliation verdict
 * (ReconciliationMonitor; a request never runs the check), and how many lead keys the previous
 * master key still wraps during a rotation (MasterKeyRotationService's last count).
 */
import { Controller, Get, Inject, Optional } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import type { EventStore } from '@tandem/event-store';
import { EmbeddedProjector } from '../projector/embedded-projector.service';
import type { AnalyticsHandle } from '../platform/analytics.provider';
import { Allow, Public, VIEW_READERS } from '../auth/access.decorators';
import { type AnswerOf, ApiAnswer } from '../http/api-answer.decorator';
import { ANALYTICS, EVENT_STORE } from '../platform/tokens';
import { healthSchema, liveSchema } from './health.responses';
import { ReconciliationMonitor } from './reconciliation-monitor.service';
import { MasterKeyRotationService } from './master-key-rotation.service';
import { RuleReplays } from '../rules/rule-replays.service';
import { ruleFactsVersion } from '@tandem/analytics';

@ApiTags('health')
@Controller('health')
export class HealthController {
  constructor(
    @Inject(EVENT_STORE) private readonly store: EventStore,
    @Inject(ANALYTICS) private readonly analytics: AnalyticsHandle,
    private readonly reconciliation: ReconciliationMonitor,
    private readonly replays: RuleReplays,
    private readonly rotation: MasterKeyRotationService,
    @Optional() private readonly projector?: EmbeddedProjector,
  ) {}

  /** Liveness for orchestrators: answers while the process serves HTTP; says nothing else. */
  @Public('liveness: a constant body, no data')
  @Get('live')
  @ApiAnswer(200, liveSchema, 'The process serves HTTP')
  live(): AnswerOf<typeof liveSchema> {
    return { status: 'live' };
  }

  @Allow(...VIEW_READERS)
  @Get()
  @ApiAnswer(
    200,
    healthSchema,
    'How far the projection is, what it set aside, the last reconciliation',
  )
  async health(): Promise<AnswerOf<typeof healthSchema>> {
    const head = await this.store.headPosition();
    const reconciliation = this.reconciliation.health();
    const reconciled = reconciliation.state !== 'failed';
    // From what this process holds: never a ClickHouse read (see health-at-once.int.spec.ts).
    const ruleFacts = { version: ruleFactsVersion(), rederiving: this.replays.outdatedFacts() };
    const masterKeyRotation = this.rotation.health();
    if (!this.projector)
      return {
        status: reconciled ? 'ok' : 'degraded',
        eventStore: { headPosition: toText(head) },
        projector: { mode: 'off' },
        ruleFacts,
        reconciliation,
        masterKeyRotation,
      };
    const position = this.projector.position();
    const { failure, rejectedEvents } = this.projector.status();
    // Where the refused events went and why (projection_dead_letters), not only how many: as
    // the projector holds them, so a catch-up's long ClickHouse statements never delay them.
    const deadLetters = this.projector.deadLetters();
    // A failing ClickHouse read fails the views as well; /health still reports (the failure).
    const viewsFromSnapshot = await this.analytics.queries.viewsFromSnapshot().catch(() => false);
    return {
      status: failure === null && reconciled ? 'ok' : 'degraded',
      eventStore: { headPosition: toText(head) },
      projector: {
        mode: 'embedded',
        position: toText(position),
        caughtUp: head === null || (position !== null && position >= head),
        rejectedEvents,
        deadLetters,
        failure,
        viewsFromSnapshot,
      },
      ruleFacts,
      reconciliation,
      masterKeyRotation,
    };
  }
}

const toText = (position: bigint | null) => position?.toString() ?? null;
