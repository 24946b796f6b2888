/**
 * The two routes machines call: `GET /metrics` (Prometheus) and `GET /health/ready`
 * (orchestrators, load balancers). /metrics is a read like any other — an ops or system
 * identity (a scraper uses an API key with role system: `tandem keys create --role system`);
 * command volumes are business information. /health/ready is a probe, public like liveness:
 * it says which check failed and nothing more. (The relay's and projector's own /metrics
 * ports keep the optional TANDEM_METRICS_TOKEN secret: they have no identity provider.)
 */
import { Controller, Get, Res } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { metricsEndpoint } from '@tandem/observability';
import type { Response } from 'express';
import { Allow, Public } from '../auth/access.decorators';
import { ApiAnswer } from '../http/api-answer.decorator';
import { ApiMetrics } from './api-metrics';
import { expositionSchema, readinessSchema } from './observability.responses';
import { ReadinessProbe } from './readiness';

@ApiTags('health')
@Controller()
export class ObservabilityController {
  private readonly answerMetrics: ReturnType<typeof metricsEndpoint>;

  constructor(
    metrics: ApiMetrics,
    private readonly readiness: ReadinessProbe,
  ) {
    // The access guard has checked the caller; no second secret here.
    this.answerMetrics = metricsEndpoint(metrics.registry, null);
  }

  @Allow('ops', 'system')
  @Get('metrics')
  @ApiOperation({ summary: 'Prometheus metrics of this API process (ops, system)' })
  @ApiAnswer(200, expositionSchema, 'The metrics, for a Prometheus scrape', {
    mediaType: 'text/plain',
  })
  async metrics(@Res() response: Response): Promise<void> {
    const answer = await this.answerMetrics(undefined);
    response.status(answer.status).set(answer.headers).send(answer.body);
  }

  @Public('readiness: names the failed checks, no data')
  @Get('health/ready')
  @ApiOperation({
    summary:
      '200 when the store and ClickHouse answer, the projection is current and the views answer from their snapshot; 503 naming the failed checks',
  })
  @ApiAnswer(200, readinessSchema, 'Ready: every check passed')
  @ApiAnswer(503, readinessSchema, 'Not ready: `failed` names the checks')
  async ready(@Res() response: Response): Promise<void> {
    const readiness = await this.readiness.check();
    response.status(readiness.status === 'ready' ? 200 : 503).json(readiness);
  }
}
