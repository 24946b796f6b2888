/**
 * Operations on the projections. `POST /ops/rebuild` empties the analytics and
 * projects the whole event log again; progress shows on /health (position vs
 * head). Only ops may do it; only where this process runs the projector.
 */
import { Controller, ConflictException, HttpCode, Optional, Post, Res } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { authorize } from '@tandem/domain';
import type { Response } from 'express';
import type { z } from 'zod';
import { EmbeddedProjector } from '../projector/embedded-projector.service';
import { ApiAnswer } from '../http/api-answer.decorator';
import { SkipIdempotency } from '../http/idempotency/skip-idempotency.decorator';
import { AllowCommand } from '../auth/access.decorators';
import { Ctx, type RequestContext } from '../http/request-context';
import { rebuildingSchema } from './ops.responses';

@ApiTags('ops')
@Controller('ops')
export class OpsController {
  constructor(@Optional() private readonly projector?: EmbeddedProjector) {}

  @AllowCommand('RebuildProjections')
  @Post('rebuild')
  @HttpCode(202)
  @SkipIdempotency() // appends nothing; a stored "rebuilding" replayed later would mislead
  @ApiOperation({ summary: 'Rebuild the analytics from the event log (ops); follow /health' })
  @ApiAnswer(202, rebuildingSchema, 'Started; `Location` is /health')
  async rebuild(
    @Ctx() context: RequestContext,
    @Res({ passthrough: true }) response: Response,
  ): Promise<z.infer<typeof rebuildingSchema>> {
    authorize(context.actor.role, 'RebuildProjections');
    if (!this.projector) {
      throw new ConflictException(
        'this process does not run the projector (TANDEM_PROJECTOR=off): rebuild where it runs, or reset the Kafka consumer group',
      );
    }
    await this.projector.rebuild();
    // 202: where to follow the work (RFC 9110 §15.3.3); /health shows position against head.
    response.setHeader('location', '/health');
    return { status: 'rebuilding', follow: '/health' };
  }
}
