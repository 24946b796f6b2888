/**
 * The analytics views over HTTP, as JSON or CSV: the shared funnel (counts, time in stage,
 * cohorts), the marketing lens and its attribution, the sales lens and performance, alignment,
 * accounts, targets, and the reconciliation of the totals both lenses share.
 *
 * Thin: each view is a declaration (analytics-view.declarations.ts) served the same way — query
 * validated by its zod schema, rule set resolved and named in the headers, rows read with bound
 * parameters, then filtering, paging and CSV (analytics-views.ts). No request string reaches SQL.
 */
import { Controller, Get, Headers, Inject, Query, Res } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import type { z } from 'zod';
import { reconcileAll, type ViewOptions } from '@tandem/analytics';
import {
  Allow,
  MARKETING_LENS_READERS,
  SALES_LENS_READERS,
  VIEW_READERS,
} from '../auth/access.decorators';
import type { AnalyticsHandle } from '../platform/analytics.provider';
import { ANALYTICS } from '../platform/tokens';
import { ApiAnalyticsView } from './analytics-openapi';
import {
  type ReconciliationQuery,
  type ScopeQuery,
  captureWindowOf,
  reconciliationQuery,
} from './analytics-query.schemas';
import { type ViewDeclaration, declaredViews, viewDoc } from './analytics-view.declarations';
import { type Presented, type ViewRequest, present, views } from './analytics-views';
import { pageLinks } from './pagination';
import { type ResponseFormat, chooseFormat } from './response-format';
import { ZodQueryPipe } from './zod-query.pipe';

/** What serve needs of every declared view's query. */
type ViewQueryShape = ScopeQuery & ViewRequest & { readonly format?: ResponseFormat | undefined };

@ApiTags('analytics')
@Allow(...VIEW_READERS)
@Controller('analytics')
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

  /**
   * One declared view for one request: the scope (rule set named in the headers), the rows the
   * declaration reads under it, then filter, page and JSON or CSV as the declaration presents.
   */
  private async serve<Schema extends z.ZodType<ViewQueryShape>, Row extends object>(
    view: ViewDeclaration<Schema, Row>,
    query: z.infer<Schema>,
    accept: string | undefined,
    response: Response,
  ) {
    const rows = await view.read(this.analytics.queries, query, await this.scope(query, response));
    const format = chooseFormat(query.format, accept);
    return send(response, present(view.presentation, rows, query, format));
  }

  @Get(declaredViews.funnel.path)
  @ApiAnalyticsView(declaredViews.funnel.query, viewDoc(declaredViews.funnel))
  funnel(
    @Query(new ZodQueryPipe(declaredViews.funnel.query))
    query: z.infer<typeof declaredViews.funnel.query>,
    @Headers('accept') accept: string | undefined,
    @Res({ passthrough: true }) response: Response,
  ) {
    return this.serve(declaredViews.funnel, query, accept, response);
  }

  @Get(declaredViews.timeInStage.path)
  @ApiAnalyticsView(declaredViews.timeInStage.query, viewDoc(declaredViews.timeInStage))
  timeInStage(
    @Query(new ZodQueryPipe(declaredViews.timeInStage.query))
    query: z.infer<typeof declaredViews.timeInStage.query>,
    @Headers('accept') accept: string | undefined,
    @Res({ passthrough: true }) response: Response,
  ) {
    return this.serve(declaredViews.timeInStage, query, accept, response);
  }

  @Get(declaredViews.cohorts.path)
  @ApiAnalyticsView(declaredViews.cohorts.query, viewDoc(declaredViews.cohorts))
  cohorts(
    @Query(new ZodQueryPipe(declaredViews.cohorts.query))
    query: z.infer<typeof declaredViews.cohorts.query>,
    @Headers('accept') accept: string | undefined,
    @Res({ passthrough: true }) response: Response,
  ) {
    return this.serve(declaredViews.cohorts, query, accept, response);
  }

  @Get(declaredViews.trend.path)
  @ApiAnalyticsView(declaredViews.trend.query, viewDoc(declaredViews.trend))
  trend(
    @Query(new ZodQueryPipe(declaredViews.trend.query))
    query: z.infer<typeof declaredViews.trend.query>,
    @Headers('accept') accept: string | undefined,
    @Res({ passthrough: true }) response: Response,
  ) {
    return this.serve(declaredViews.trend, query, accept, response);
  }

  // Lead ids and non-personal columns only: every view reader may see who is behind a number.
  @Get(declaredViews.leads.path)
  @ApiAnalyticsView(declaredViews.leads.query, viewDoc(declaredViews.leads))
  leads(
    @Query(new ZodQueryPipe(declaredViews.leads.query))
    query: z.infer<typeof declaredViews.leads.query>,
    @Headers('accept') accept: string | undefined,
    @Res({ passthrough: true }) response: Response,
  ) {
    return this.serve(declaredViews.leads, query, accept, response);
  }

  @Allow(...MARKETING_LENS_READERS)
  @Get(declaredViews.marketing.path)
  @ApiAnalyticsView(declaredViews.marketing.query, viewDoc(declaredViews.marketing))
  marketing(
    @Query(new ZodQueryPipe(declaredViews.marketing.query))
    query: z.infer<typeof declaredViews.marketing.query>,
    @Headers('accept') accept: string | undefined,
    @Res({ passthrough: true }) response: Response,
  ) {
    return this.serve(declaredViews.marketing, query, accept, response);
  }

  @Allow(...MARKETING_LENS_READERS)
  @Get(declaredViews.attribution.path)
  @ApiAnalyticsView(declaredViews.attribution.query, viewDoc(declaredViews.attribution))
  attribution(
    @Query(new ZodQueryPipe(declaredViews.attribution.query))
    query: z.infer<typeof declaredViews.attribution.query>,
    @Headers('accept') accept: string | undefined,
    @Res({ passthrough: true }) response: Response,
  ) {
    return this.serve(declaredViews.attribution, query, accept, response);
  }

  @Allow(...SALES_LENS_READERS)
  @Get(declaredViews.sales.path)
  @ApiAnalyticsView(declaredViews.sales.query, viewDoc(declaredViews.sales))
  sales(
    @Query(new ZodQueryPipe(declaredViews.sales.query))
    query: z.infer<typeof declaredViews.sales.query>,
    @Headers('accept') accept: string | undefined,
    @Res({ passthrough: true }) response: Response,
  ) {
    return this.serve(declaredViews.sales, query, accept, response);
  }

  @Allow(...SALES_LENS_READERS)
  @Get(declaredViews.salesPerformance.path)
  @ApiAnalyticsView(declaredViews.salesPerformance.query, viewDoc(declaredViews.salesPerformance))
  salesPerformance(
    @Query(new ZodQueryPipe(declaredViews.salesPerformance.query))
    query: z.infer<typeof declaredViews.salesPerformance.query>,
    @Headers('accept') accept: string | undefined,
    @Res({ passthrough: true }) response: Response,
  ) {
    return this.serve(declaredViews.salesPerformance, query, accept, response);
  }

  @Get(declaredViews.alignment.path)
  @ApiAnalyticsView(declaredViews.alignment.query, viewDoc(declaredViews.alignment))
  alignment(
    @Query(new ZodQueryPipe(declaredViews.alignment.query))
    query: z.infer<typeof declaredViews.alignment.query>,
    @Headers('accept') accept: string | undefined,
    @Res({ passthrough: true }) response: Response,
  ) {
    return this.serve(declaredViews.alignment, query, accept, response);
  }

  @Get(declaredViews.accounts.path)
  @ApiAnalyticsView(declaredViews.accounts.query, viewDoc(declaredViews.accounts))
  accounts(
    @Query(new ZodQueryPipe(declaredViews.accounts.query))
    query: z.infer<typeof declaredViews.accounts.query>,
    @Headers('accept') accept: string | undefined,
    @Res({ passthrough: true }) response: Response,
  ) {
    return this.serve(declaredViews.accounts, query, accept, response);
  }

  @Get(declaredViews.targets.path)
  @ApiAnalyticsView(declaredViews.targets.query, viewDoc(declaredViews.targets))
  targets(
    @Query(new ZodQueryPipe(declaredViews.targets.query))
    query: z.infer<typeof declaredViews.targets.query>,
    @Headers('accept') accept: string | undefined,
    @Res({ passthrough: true }) response: Response,
  ) {
    return this.serve(declaredViews.targets, query, accept, response);
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

/** Sets the paging and CSV headers when needed and hands the body to Nest. */
function send(response: Response, presented: Presented): unknown {
  response.vary('Accept');
  if (presented.page !== undefined) {
    response.setHeader('Link', pageLinks(response.req.originalUrl, presented.page));
  }
  if (presented.kind === 'json') return presented.body;
  response.setHeader('Content-Type', 'text/csv; charset=utf-8; header=present');
  response.setHeader('Content-Disposition', `attachment; filename="${presented.filename}"`);
  response.setHeader('X-Total-Count', String(presented.total));
  return presented.body;
}
