/**
 * The two routes machines call: `GET /metrics` (Prometheus) and `GET /health/ready`
 * (orchestrators, load balancers). Neither carries a user token, so both are public to the
 * access guard: /metrics holds counts only and, when TANDEM_METRICS_TOKEN is set, answers
 * only that bearer secret; /health/ready says which check failed and nothing more.
 */
import { Controller, Get, Headers, Res } from '@nestjs/common';
import { ApiExcludeEndpoint, ApiOperation, ApiTags } from '@nestjs/swagger';
import { loadObservabilityConfig } from '@tandem/config';
import { metricsEndpoint } from '@tandem/observability';
import type { Response } from 'express';
import { Public } from '../auth/access.decorators';
import { ApiMetrics } from './api-metrics';
import { ReadinessProbe } from './readiness';

@ApiTags('health')
@Controller()
export class ObservabilityController {
  private readonly answerMetrics: ReturnType<typeof metricsEndpoint>;

  constructor(
    metrics: ApiMetrics,
    private readonly readiness: ReadinessProbe,
  ) {
    this.answerMetrics = metricsEndpoint(metrics.registry, loadObservabilityConfig().metricsToken);
  }

  @Public('metrics: counts only; behind TANDEM_METRICS_TOKEN when set')
  @Get('metrics')
  @ApiExcludeEndpoint()
  async metrics(
    @Headers('authorization') authorization: string | undefined,
    @Res() response: Response,
  ): Promise<void> {
    const answer = await this.answerMetrics(authorization);
    response.status(answer.status).set(answer.headers).send(answer.body);
  }

  @Public('readiness: names the failed checks, no data')
  @Get('health/ready')
  @ApiOperation({
    summary:
      '200 when the store and ClickHouse answer and the projection is current; 503 naming the failed checks',
  })
  async ready(@Res() response: Response): Promise<void> {
    const readiness = await this.readiness.check();
    response.status(readiness.status === 'ready' ? 200 : 503).json(readiness);
  }
}
