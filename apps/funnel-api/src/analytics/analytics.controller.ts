/**
 * The funnel views as JSON: the shared funnel, the marketing lens, the sales
 * lens, and the reconciliation of the totals the two lenses share.
 */
import { Controller, Get, Inject, Query } from '@nestjs/common';
import { ApiQuery, ApiTags } from '@nestjs/swagger';
import type { CaptureWindow } from '@tandem/analytics';
import type { AnalyticsHandle } from '../platform/analytics.provider';
import { ANALYTICS } from '../platform/tokens';

@ApiTags('analytics')
@Controller('analytics')
export class AnalyticsController {
  constructor(@Inject(ANALYTICS) private readonly analytics: AnalyticsHandle) {}

  @Get('funnel')
  @ApiQuery({ name: 'capturedFrom', required: false })
  @ApiQuery({ name: 'capturedTo', required: false })
  funnel(@Query('capturedFrom') from?: string, @Query('capturedTo') to?: string) {
    return this.analytics.queries.sharedFunnel(window(from, to));
  }

  @Get('marketing')
  @ApiQuery({ name: 'capturedFrom', required: false })
  @ApiQuery({ name: 'capturedTo', required: false })
  marketing(@Query('capturedFrom') from?: string, @Query('capturedTo') to?: string) {
    return this.analytics.queries.marketingLens(window(from, to));
  }

  @Get('sales')
  @ApiQuery({ name: 'capturedFrom', required: false })
  @ApiQuery({ name: 'capturedTo', required: false })
  sales(@Query('capturedFrom') from?: string, @Query('capturedTo') to?: string) {
    return this.analytics.queries.salesLens(window(from, to));
  }

  @Get('reconciliation')
  reconciliation() {
    return this.analytics.queries.reconcile();
  }
}

function window(capturedFrom?: string, capturedTo?: string): CaptureWindow {
  return {
    ...(capturedFrom ? { capturedFrom } : {}),
    ...(capturedTo ? { capturedTo } : {}),
  };
}
