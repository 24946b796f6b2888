/**
 * The analytics views over HTTP, as JSON or CSV: the shared funnel (counts, time in stage,
 * cohorts), the marketing lens and its attribution, the sales lens and performance, alignment,
 * accounts, targets, and the reconciliation of the totals both lenses share.
 *
 * Thin: the query is validated by its zod schema, the view is read with bound parameters, and
 * filtering, paging and CSV happen in analytics-views.ts. No request string reaches SQL.
 */
import { Controller, Get, Headers, Inject, Query, Res, UseFilters } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import { reconcileAll, type ViewOptions } from '@tandem/analytics';
import {
  Allow,
  MARKETING_LENS_READERS,
  SALES_LENS_READERS,
  VIEW_READERS,
} from '../auth/access.decorators';
import type { AnalyticsHandle } from '../platform/analytics.provider';
import { ANALYTICS } from '../platform/tokens';
import { AnalyticsParameterErrorFilter, RuleSetNotFoundFilter } from './analytics-errors.filter';
import { ApiAnalyticsView } from './analytics-openapi';
import {
  type AccountsQuery,
  type AlignmentQuery,
  type AttributionQuery,
  type CohortsQuery,
  type FunnelQuery,
  type MarketingQuery,
  type ReconciliationQuery,
  type SalesPerformanceQuery,
  type SalesQuery,
  type TargetsQuery,
  type TimeInStageQuery,
  accountsQuery,
  alignmentQuery,
  attributionQuery,
  captureWindowOf,
  type ScopeQuery,
  cohortsQuery,
  funnelQuery,
  marketingQuery,
  reconciliationQuery,
  salesPerformanceQuery,
  salesQuery,
  targetsQuery,
  timeInStageQuery,
} from './analytics-query.schemas';
import { type Presented, present, views } from './analytics-views';
import { chooseFormat } from './response-format';
import { ZodQueryPipe } from './zod-query.pipe';

@ApiTags('analytics')
@Allow(...VIEW_READERS)
@Controller('analytics')
@UseFilters(new AnalyticsParameterErrorFilter(), new RuleSetNotFoundFilter())
export class AnalyticsController {
  constructor(@Inject(ANALYTICS) private readonly analytics: AnalyticsHandle) {}

  /**
   * The request's rule set, resolved once, plus its window and asOf: every query of the request
   * runs under this one set, and the response headers name it.
   */
  private async scope(query: ScopeQuery, response: Response): Promise<ViewOptions> {
    const rules = await this.analytics.queries.ruleSet({
      ...(query.rulesVersion !== undefined ? { rulesVersion: query.rulesVersion } : {}),
      ...(query.definitionHash !== undefined ? { definitionHash: query.definitionHash } : {}),
    });
    response.setHeader('X-Tandem-Rules-Version', String(rules.rulesVersion));
    response.setHeader('X-Tandem-Definition-Hash', rules.definitionHash);
    return {
      ...captureWindowOf(query),
      rules,
      ...(query.asOf !== undefined ? { asOf: query.asOf } : {}),
    };
  }

  @Get('funnel')
  @ApiAnalyticsView(funnelQuery, {
    summary: 'Shared funnel: leads that reached each stage, stage-to-stage conversion',
    plainArrayUnlessPaged: true,
  })
  async funnel(
    @Query(new ZodQueryPipe(funnelQuery)) query: FunnelQuery,
    @Headers('accept') accept: string | undefined,
    @Res({ passthrough: true }) response: Response,
  ) {
    const rows = await this.analytics.queries.sharedFunnel(await this.scope(query, response));
    return send(response, present(views.funnel, rows, query, chooseFormat(query.format, accept)));
  }

  @Get('funnel/time-in-stage')
  @ApiAnalyticsView(timeInStageQuery, {
    summary: 'Time in stage: median and p90 hours from each stage to the next',
  })
  async timeInStage(
    @Query(new ZodQueryPipe(timeInStageQuery)) query: TimeInStageQuery,
    @Headers('accept') accept: string | undefined,
    @Res({ passthrough: true }) response: Response,
  ) {
    const rows = await this.analytics.queries.funnelTimeInStage(await this.scope(query, response));
    const format = chooseFormat(query.format, accept);
    return send(response, present(views.timeInStage, rows, query, format));
  }

  @Get('funnel/cohorts')
  @ApiAnalyticsView(cohortsQuery, {
    summary: 'The funnel per capture cohort (week or month, UTC)',
  })
  async cohorts(
    @Query(new ZodQueryPipe(cohortsQuery)) query: CohortsQuery,
    @Headers('accept') accept: string | undefined,
    @Res({ passthrough: true }) response: Response,
  ) {
    const rows = await this.analytics.queries.funnelByCohort(
      query.grain,
      await this.scope(query, response),
    );
    return send(response, present(views.cohorts, rows, query, chooseFormat(query.format, accept)));
  }

  @Allow(...MARKETING_LENS_READERS)
  @Get('marketing')
  @ApiAnalyticsView(marketingQuery, {
    summary: 'Marketing lens: the funnel per capture (channel, campaign)',
    plainArrayUnlessPaged: true,
  })
  async marketing(
    @Query(new ZodQueryPipe(marketingQuery)) query: MarketingQuery,
    @Headers('accept') accept: string | undefined,
    @Res({ passthrough: true }) response: Response,
  ) {
    const rows = await this.analytics.queries.marketingLens(await this.scope(query, response));
    const format = chooseFormat(query.format, accept);
    return send(response, present(views.marketing, rows, query, format));
  }

  @Allow(...MARKETING_LENS_READERS)
  @Get('marketing/attribution')
  @ApiAnalyticsView(attributionQuery, {
    summary: 'Revenue attribution per (channel, campaign) under one model, with spend and ROI',
  })
  async attribution(
    @Query(new ZodQueryPipe(attributionQuery)) query: AttributionQuery,
    @Headers('accept') accept: string | undefined,
    @Res({ passthrough: true }) response: Response,
  ) {
    const rows = await this.analytics.queries.marketingAttribution(
      query.model,
      await this.scope(query, response),
    );
    const format = chooseFormat(query.format, accept);
    return send(response, present(views.attribution, rows, query, format));
  }

  @Allow(...SALES_LENS_READERS)
  @Get('sales')
  @ApiAnalyticsView(salesQuery, {
    summary: 'Sales lens: what each owner received and closed',
    plainArrayUnlessPaged: true,
  })
  async sales(
    @Query(new ZodQueryPipe(salesQuery)) query: SalesQuery,
    @Headers('accept') accept: string | undefined,
    @Res({ passthrough: true }) response: Response,
  ) {
    const rows = await this.analytics.queries.salesLens(await this.scope(query, response));
    return send(response, present(views.sales, rows, query, chooseFormat(query.format, accept)));
  }

  @Allow(...SALES_LENS_READERS)
  @Get('sales/performance')
  @ApiAnalyticsView(salesPerformanceQuery, {
    summary: 'Sales performance per (team, owner): response time, win rate, cycle, loss reasons',
  })
  async salesPerformance(
    @Query(new ZodQueryPipe(salesPerformanceQuery)) query: SalesPerformanceQuery,
    @Headers('accept') accept: string | undefined,
    @Res({ passthrough: true }) response: Response,
  ) {
    const rows = await this.analytics.queries.salesPerformance(await this.scope(query, response));
    const format = chooseFormat(query.format, accept);
    return send(response, present(views.salesPerformance, rows, query, format));
  }

  @Get('alignment')
  @ApiAnalyticsView(alignmentQuery, {
    summary: 'Alignment per (channel, campaign): SLA compliance, leakage, recycling, rejections',
  })
  async alignment(
    @Query(new ZodQueryPipe(alignmentQuery)) query: AlignmentQuery,
    @Headers('accept') accept: string | undefined,
    @Res({ passthrough: true }) response: Response,
  ) {
    const rows = await this.analytics.queries.alignment(await this.scope(query, response));
    const format = chooseFormat(query.format, accept);
    return send(response, present(views.alignment, rows, query, format));
  }

  @Get('accounts')
  @ApiAnalyticsView(accountsQuery, {
    summary: "Accounts (ABM): every lens total per account ('' = leads without an account)",
  })
  async accounts(
    @Query(new ZodQueryPipe(accountsQuery)) query: AccountsQuery,
    @Headers('accept') accept: string | undefined,
    @Res({ passthrough: true }) response: Response,
  ) {
    const rows = await this.analytics.queries.accountLens(await this.scope(query, response));
    return send(response, present(views.accounts, rows, query, chooseFormat(query.format, accept)));
  }

  @Get('targets')
  @ApiAnalyticsView(targetsQuery, {
    summary: 'Targets of both teams beside their actuals for the period',
    description: 'No capture window: each target is measured by event time in its own period.',
  })
  async targets(
    @Query(new ZodQueryPipe(targetsQuery)) query: TargetsQuery,
    @Headers('accept') accept: string | undefined,
    @Res({ passthrough: true }) response: Response,
  ) {
    const rows = await this.analytics.queries.targetsProgress(await this.scope(query, response));
    return send(response, present(views.targets, rows, query, chooseFormat(query.format, accept)));
  }

  @Get('reconciliation')
  @ApiAnalyticsView(reconciliationQuery, {
    summary: 'Do the marketing lens, the sales lens and the events agree? (all time)',
    description:
      'JSON is `{ ok, checks, ruleSets, findings, coveredPosition, settled }` (not paginated): ' +
      'checks compare the lenses; ruleSets check every ready rule set against the raw events ' +
      '(rule facts complete, live MQLs kept, stages monotonic where the transitions require, ' +
      'stage counts equal); findings lists every failure in one line. CSV is the lens checks, ' +
      'one row per metric: metric, marketing, sales, events, ok.',
  })
  async reconciliation(
    @Query(new ZodQueryPipe(reconciliationQuery)) query: ReconciliationQuery,
    @Headers('accept') accept: string | undefined,
    @Res({ passthrough: true }) response: Response,
  ) {
    const { rules } = await this.scope(query, response);
    const reconciliation = await reconcileAll(this.analytics.client, this.analytics.queries, {
      database: this.analytics.database,
      rules,
    });
    if (chooseFormat(query.format, accept) === 'json') return reconciliation;
    return send(response, present(views.reconciliationChecks, reconciliation.checks, {}, 'csv'));
  }
}

/** Sets the CSV headers when needed and hands the body to Nest. */
function send(response: Response, presented: Presented): unknown {
  response.vary('Accept');
  if (presented.kind === 'json') return presented.body;
  response.setHeader('Content-Type', 'text/csv; charset=utf-8; header=present');
  response.setHeader('Content-Disposition', `attachment; filename="${presented.filename}"`);
  response.setHeader('X-Total-Count', String(presented.total));
  return presented.body;
}
