/**
 * Readiness: may a load balancer send this instance traffic? Not when a dependency the API
 * reads or writes is down (the event store, ClickHouse), nor when the views it serves are
 * wrong or stale: the embedded projection refused events, failed its last batch, or lags the
 * store by more than TANDEM_READY_MAX_LAG_EVENTS, or the views would fold the whole state: from
 * the end of a first projection or a rebuild until the first snapshot of the per-lead funnel is
 * marked (seconds a view at 10M events; docs/performance.md, "The views' first snapshot before
 * readiness"), or kept rule sets hold rows computed by other code than this (a deploy changed
 * the classifier or the rules pass) until they are re-derived (RuleReplays, ADR 0005).
 * Liveness is a different question (/health/live).
 *
 * Each check has a deadline, so a hung dependency makes the probe answer 503, not hang. The
 * answer names the failed checks; it must never carry an error message (the route is public:
 * connection strings and hostnames stay in the log).
 */
import { Inject, Injectable, Logger, Optional } from '@nestjs/common';
import type { EventStore } from '@tandem/event-store';
import { loadObservabilityConfig } from '@tandem/config';
import { EmbeddedProjector } from '../projector/embedded-projector.service';
import type { AnalyticsHandle } from '../platform/analytics.provider';
import { ANALYTICS, EVENT_STORE } from '../platform/tokens';
import { RuleReplays } from '../rules/rule-replays.service';

const CHECK_DEADLINE_MS = 2_000;

export type CheckName = 'eventStore' | 'clickhouse' | 'projection' | 'views' | 'ruleFacts';

export interface ProjectionState {
  readonly lagEvents: number;
  readonly refusedEvents: number;
  /** The last batch failed and is being retried. */
  readonly failing: boolean;
}

export interface ReadinessInputs {
  readonly eventStoreUp: boolean;
  readonly clickhouseUp: boolean;
  /** null: no projector in this process (Kafka mode: the projector process reports its own). */
  readonly projection: ProjectionState | null;
  /**
   * Whether the views answer from a snapshot of the per-lead funnel (or need none: a small
   * state); null: snapshots are off in this process (Kafka mode), nothing to judge.
   */
  readonly viewsFromSnapshot: boolean | null;
  /** Kept rule sets whose rows other code computed, not re-derived yet (RuleReplays). */
  readonly outdatedRuleSets: number;
}

export interface Readiness {
  readonly status: 'ready' | 'not ready';
  readonly failed: readonly CheckName[];
  readonly checks: Record<string, unknown>;
}

/** The verdict from what was observed; pure, so every rule is tested without a broken store. */
export function judgeReadiness(inputs: ReadinessInputs, maxLagEvents: number): Readiness {
  const failed: CheckName[] = [];
  if (!inputs.eventStoreUp) failed.push('eventStore');
  if (!inputs.clickhouseUp) failed.push('clickhouse');
  const projection = inputs.projection;
  const projectionOk =
    projection === null ||
    (projection.refusedEvents === 0 && !projection.failing && projection.lagEvents <= maxLagEvents);
  if (!projectionOk) failed.push('projection');
  if (inputs.viewsFromSnapshot === false) failed.push('views');
  if (inputs.outdatedRuleSets > 0) failed.push('ruleFacts');
  return {
    status: failed.length === 0 ? 'ready' : 'not ready',
    failed,
    checks: {
      eventStore: { up: inputs.eventStoreUp },
      clickhouse: { up: inputs.clickhouseUp },
      projection:
        projection === null ? { mode: 'off' } : { mode: 'embedded', ...projection, maxLagEvents },
      views:
        inputs.viewsFromSnapshot === null
          ? { snapshots: 'off' }
          : { fromSnapshot: inputs.viewsFromSnapshot },
      ruleFacts: { outdatedRuleSets: inputs.outdatedRuleSets },
    },
  };
}

const withDeadline = <T>(work: Promise<T>): Promise<T> =>
  new Promise<T>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error('no answer within the deadline')),
      CHECK_DEADLINE_MS,
    );
    work.then(resolve, reject).finally(() => clearTimeout(timer));
  });

@Injectable()
export class ReadinessProbe {
  private readonly logger = new Logger('readiness');
  private readonly maxLagEvents = loadObservabilityConfig().readyMaxLagEvents;

  constructor(
    @Inject(EVENT_STORE) private readonly store: EventStore,
    @Inject(ANALYTICS) private readonly analytics: AnalyticsHandle,
    private readonly replays: RuleReplays,
    @Optional() private readonly projector?: EmbeddedProjector,
  ) {}

  async check(): Promise<Readiness> {
    const [head, clickhouseUp, viewsFromSnapshot] = await Promise.all([
      withDeadline(this.store.headPosition()).then(
        (position) => ({ up: true as const, position }),
        (error: unknown) => this.down('event store', error, { up: false as const }),
      ),
      withDeadline(this.analytics.health.ping()).then(
        () => true,
        (error: unknown) => this.down('ClickHouse', error, false),
      ),
      withDeadline(this.analytics.queries.viewsFromSnapshot()).catch((error: unknown) =>
        this.down('views', error, false),
      ),
    ]);
    return judgeReadiness(
      {
        eventStoreUp: head.up,
        clickhouseUp,
        projection: this.projection(head),
        viewsFromSnapshot,
        outdatedRuleSets: this.replays.outdatedFacts().length,
      },
      this.maxLagEvents,
    );
  }

  /** Projection lag is only known while the store answers; a down store fails on its own. */
  private projection(
    head: { up: true; position: bigint | null } | { up: false },
  ): ProjectionState | null {
    if (!this.projector) return null;
    const { failure, rejectedEvents } = this.projector.status();
    const position = this.projector.position() ?? 0n;
    const lag =
      head.up && head.position !== null && head.position > position ? head.position - position : 0n;
    return { lagEvents: Number(lag), refusedEvents: rejectedEvents, failing: failure !== null };
  }

  private down<T>(what: string, error: unknown, value: T): T {
    this.logger.warn(
      `${what} check failed: ${error instanceof Error ? error.message : String(error)}`,
    );
    return value;
  }
}
