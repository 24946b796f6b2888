/** Liveness and readiness: is the store reachable, how far the projection lags. */
import { Controller, Get, Inject, Optional } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import type { EventStore } from '@tandem/event-store';
import { EmbeddedProjector } from '../analytics/embedded-projector.service';
import { EVENT_STORE } from '../platform/tokens';

@ApiTags('health')
@Controller('health')
export class HealthController {
  constructor(
    @Inject(EVENT_STORE) private readonly store: EventStore,
    @Optional() private readonly projector?: EmbeddedProjector,
  ) {}

  @Get()
  async health() {
    const head = await this.store.headPosition();
    if (!this.projector)
      return {
        status: 'ok',
        eventStore: { headPosition: toText(head) },
        projector: { mode: 'off' },
      };
    const position = this.projector.position();
    const { failure, rejectedEvents } = this.projector.status();
    return {
      status: failure === null ? 'ok' : 'degraded',
      eventStore: { headPosition: toText(head) },
      projector: {
        mode: 'embedded',
        position: toText(position),
        caughtUp: head === null || (position !== null && position >= head),
        rejectedEvents,
        failure,
      },
    };
  }
}

const toText = (position: bigint | null) => position?.toString() ?? null;
