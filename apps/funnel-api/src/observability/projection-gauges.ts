/**
 * The API's scrape-time gauges: how far the embedded projection lags the store and how many
 * events it refused, and the progress of rule-set replays. Read when /metrics is scraped from
 * the components that already keep these numbers, so nothing in their paths changes.
 */
import { Inject, Injectable, type OnModuleInit, Optional } from '@nestjs/common';
import type { EventStore } from '@tandem/event-store';
import { metricNames, scrapeGauge } from '@tandem/observability';
import { EmbeddedProjector } from '../projector/embedded-projector.service';
import { EVENT_STORE } from '../platform/tokens';
import { RuleReplays } from '../rules/rule-replays.service';
import { MasterKeyRotationService } from '../health/master-key-rotation.service';
import { ApiMetrics } from './api-metrics';

@Injectable()
export class ProjectionGauges implements OnModuleInit {
  constructor(
    private readonly metrics: ApiMetrics,
    @Inject(EVENT_STORE) private readonly store: EventStore,
    private readonly replays: RuleReplays,
    private readonly rotation: MasterKeyRotationService,
    @Optional() private readonly projector?: EmbeddedProjector,
  ) {}

  onModuleInit(): void {
    const { registry } = this.metrics;
    const projector = this.projector;
    if (projector) {
      scrapeGauge(
        registry,
        metricNames.projectionLag,
        'Events in the store not yet projected (embedded projector)',
        [],
        async () => {
          const head = await this.store.headPosition();
          const position = projector.position() ?? 0n;
          return head === null || head <= position ? 0 : Number(head - position);
        },
      );
      scrapeGauge(
        registry,
        metricNames.projectionRefused,
        'Events the embedded projection refused (undecodable, or breaking its contract) since its last rebuild',
        [],
        () => Promise.resolve(projector.status().rejectedEvents),
      );
    }
    scrapeGauge(
      registry,
      metricNames.keysUnderPreviousMasterKey,
      'Lead keys still wrapped by the previous master key (TANDEM_MASTER_KEY_PREVIOUS), as last counted; 0 without one',
      [],
      () => Promise.resolve(this.rotation.keysUnderPreviousKey()),
    );
    scrapeGauge(
      registry,
      metricNames.keysNotUnwrappedByPreviousMasterKey,
      'Lead keys under the previous master key that it did not unwrap at the last rewrap pass (left as they are: restore or erase them); 0 without a rotation',
      [],
      () => Promise.resolve(this.rotation.keysNotUnwrapped()),
    );
    scrapeGauge(
      registry,
      metricNames.keysUnderOtherMasterKeys,
      'Lead keys wrapped by neither the current nor the previous master key at the last rewrap pass (neither opens them: rewrap them with their key or erase them); 0 without a rotation',
      [],
      () => Promise.resolve(this.rotation.keysUnderOtherMasterKeys()),
    );
    scrapeGauge(
      registry,
      metricNames.replaysRunning,
      'Rule-set replays (what-if, apply) running in this process',
      [],
      () => Promise.resolve(this.replays.list().filter((view) => view.status === 'running').length),
    );
    scrapeGauge(
      registry,
      metricNames.replayProgress,
      'Share of the events the latest replay of each rule set has classified (1 when done)',
      ['rules_version', 'kind', 'status'],
      () => {
        // The newest job per rule set: older runs of the same set say nothing about now.
        const latest = new Map<string, ReturnType<RuleReplays['list']>[number]>();
        for (const view of this.replays.list()) {
          const key = `${view.rulesVersion}/${view.kind}`;
          const seen = latest.get(key);
          if (!seen || seen.startedAt <= view.startedAt) latest.set(key, view);
        }
        return Promise.resolve(
          [...latest.values()].map((view) => ({
            labels: {
              rules_version: String(view.rulesVersion),
              kind: view.kind,
              status: view.status,
            },
            value:
              view.status === 'done'
                ? 1
                : view.eventsTotal === 0
                  ? 0
                  : Math.min(1, view.eventsDone / view.eventsTotal),
          })),
        );
      },
    );
  }
}
