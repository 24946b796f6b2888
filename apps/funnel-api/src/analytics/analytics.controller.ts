/**
 * The analytics views over HTTP, as JSON or CSV: the shared funnel (counts, time in stage,
 * cohorts), the marketing lens and its attribution, the sales lens and performance, alignment,
 * accounts, targets, and the reconciliation of the totals both lenses share.
 *
 * Thin: each view is a declaration (analytics-view.declarations.ts) served the same way — query
 * validated by its zod schema, rule set resolved and named in the headers, rows read with bound
 * parameters, then filtering, paging and CSV (analytics-views.ts); a view declaring `readPage`
 * has its JSON filtered and paged in the query instead. No request string reaches SQL.
 */
import {
  applyDecorators,
  Controller,
  createParamDecorator,
  type ExecutionContext,
  Get,
  Headers,
  Inject,
  Query,
  Res,
} from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import type { Request, Response } from 'express';
import type { z } from 'zod';
import { assertActivatable, describeRuleSet, type ViewOptions } from '@tandem/analytics';
import {
  Allow,
  MARKETING_LENS_READERS,
  SALES_LENS_READERS,
  VIEW_READERS,
} from '../auth/access.decorators';
import type { AnalyticsHandle } from '../platform/analytics.provider';
import { ApiAnswer } from '../http/api-answer.decorator';
import { ANALYTICS } from '../platform/tokens';
import { ApiAnalyticsView } from './analytics-openapi';
import {
  type ReconciliationQuery,
  type ScopeQuery,
  calendarOf,
  captureWindowOf,
  reconciliationQuery,
} from './analytics-query.schemas';
import { type ViewDeclaration, declaredViews, viewDoc } from './analytics-view.declarations';
import {
  type Presented,
  type ViewRequest,
  present,
  presentPage,
  reconciliationChecks,
  requestedPage,
} from './analytics-views';
import { pageLinks } from './pagination';
import { type ResponseFormat, chooseFormat } from './response-format';
import { reconciliationCsv, reconciliationSchema } from './reconciliation.responses';
import { ZodQueryPipe } from './zod-query.pipe';

/** The route and its OpenAPI entry, both from the view's declaration. */
const ServeView = <Schema extends z.ZodType, Row>(view: ViewDeclaration<Schema, Row>) =>
  applyDecorators(Get(view.path), ApiAnalyticsView(view.query, viewDoc(view)));

/** The view's query string, validated by its declared schema (a 400 problem otherwise). */
const ViewQuery = <Schema extends z.ZodType, Row>(view: ViewDeclaration<Schema, Row>) =>
  Query(new ZodQueryPipe(view.query));

/** What decides the answer's form (Accept) and carries its headers (rules set, paging, CSV). */
interface AnswerTo {
  readonly accept: string | undefined;
  readonly response: Response;
}
const Answer = createParamDecorator((_: unknown, context: ExecutionContext): AnswerTo => ({
  accept: context.switchToHttp().getRequest<Request>().headers.accept,
  response: context.switchToHttp().getResponse<Response>(),
}));

/** What serve needs of every declared view's query. */
type ViewQueryShape = ScopeQuery & ViewRequest & { readonly format?: ResponseFormat | undefined };

@ApiTags('analytics')
@Allow(...VIEW_READERS)
@Controller('analytics')
export class AnalyticsController {
  constructor(@Inject(ANALYTICS) private readonly analytics: AnalyticsHandle) {}

  /**
   * The request's rule set, resolved once, plus its window, asOf and calendar: every query of
   * the request runs under this one set, and the response headers name it.
   */
  private async scope(query: ScopeQuery, response: Response): Promise<ViewOptions> {
    const rules = await this.analytics.queries.ruleSet({
      ...(query.rulesVersion !== undefined ? { rulesVersion: query.rulesVersion } : {}),
      ...(query.definitionHash !== undefined ? { definitionHash: query.definitionHash } : {}),
    });
    // A set named by version is one a replay may not have built yet (published, not applied;
    // a what-if still running): its views would be partial under its name, as the what-if
    // report and an activation refuse them (409 not_ready). The active set is always whole.
    if (query.rulesVersion !== undefined)
      assertActivatable(rules, describeRuleSet(rules), 'replay it first (tandem rules apply)');
    response.setHeader('X-Tandem-Rules-Version', String(rules.rulesVersion));
    response.setHeader('X-Tandem-Definition-Hash', rules.definitionHash);
    const calendar = calendarOf(query);
    return {
      ...captureWindowOf(query),
      rules,
      ...(query.asOf !== undefined ? { asOf: query.asOf } : {}),
      ...(Object.keys(calendar).length > 0 ? { calendar } : {}),
    };
  }

  /**
   * One declared view for one request: the scope (rule set named in the headers), the rows the
   * declaration reads under it, then filter, page and JSON or CSV as the declaration presents.
   */
  private async serve<Schema extends z.ZodType<ViewQueryShape>, Row extends object>(
    view: ViewDeclaration<Schema, Row>,
    query: z.infer<Schema>,
    { accept, response }: AnswerTo,
  ) {
    const scope = await this.scope(query, response);
    const format = chooseFormat(query.format, accept);
    if (format === 'json' && view.readPage !== undefined) {
      const page = requestedPage(query);
      const { rows, total } = await view.readPage(this.analytics.queries, query, scope, page);
      return send(response, presentPage({ items: rows, total, ...page }));
    }
    const rows = await view.read(this.analytics.queries, query, scope);
    return send(response, present(view.presentation, rows, query, format));
  }

  @ServeView(declaredViews.funnel)
  funnel(
    @ViewQuery(declaredViews.funnel) query: z.infer<typeof declaredViews.funnel.query>,
    @Answer() answer: AnswerTo,
  ) {
    return this.serve(declaredViews.funnel, query, answer);
  }

  @ServeView(declaredViews.timeInStage)
  timeInStage(
    @ViewQuery(declaredViews.timeInStage) query: z.infer<typeof declaredViews.timeInStage.query>,
    @Answer() answer: AnswerTo,
  ) {
    return this.serve(declaredViews.timeInStage, query, answer);
  }

  @ServeView(declaredViews.cohorts)
  cohorts(
    @ViewQuery(declaredViews.cohorts) query: z.infer<typeof declaredViews.cohorts.query>,
    @Answer() answer: AnswerTo,
  ) {
    return this.serve(declaredViews.cohorts, query, answer);
  }

  @ServeView(declaredViews.trend)
  trend(
    @ViewQuery(declaredViews.trend) query: z.infer<typeof declaredViews.trend.query>,
    @Answer() answer: AnswerTo,
  ) {
    return this.serve(declaredViews.trend, query, answer);
  }

  // Lead ids and non-personal columns only: every view reader may see who is behind a number.
  @ServeView(declaredViews.leads)
  leads(
    @ViewQuery(declaredViews.leads) query: z.infer<typeof declaredViews.leads.query>,
    @Answer() answer: AnswerTo,
  ) {
    return this.serve(declaredViews.leads, query, answer);
  }

  @Allow(...MARKETING_LENS_READERS)
  @ServeView(declaredViews.marketing)
  marketing(
    @ViewQuery(declaredViews.marketing) query: z.infer<typeof declaredViews.marketing.query>,
    @Answer() answer: AnswerTo,
  ) {
    return this.serve(declaredViews.marketing, query, answer);
  }

  @Allow(...MARKETING_LENS_READERS)
  @ServeView(declaredViews.attribution)
  attribution(
    @ViewQuery(declaredViews.attribution) query: z.infer<typeof declaredViews.attribution.query>,
    @Answer() answer: AnswerTo,
  ) {
    return this.serve(declaredViews.attribution, query, answer);
  }

  @Allow(...SALES_LENS_READERS)
  @ServeView(declaredViews.sales)
  sales(
    @ViewQuery(declaredViews.sales) query: z.infer<typeof declaredViews.sales.query>,
    @Answer() answer: AnswerTo,
  ) {
    return this.serve(declaredViews.sales, query, answer);
  }

  @Allow(...SALES_LENS_READERS)
  @ServeView(declaredViews.salesPerformance)
  salesPerformance(
    @ViewQuery(declaredViews.salesPerformance)
    query: z.infer<typeof declaredViews.salesPerformance.query>,
    @Answer() answer: AnswerTo,
  ) {
    return this.serve(declaredViews.salesPerformance, query, answer);
  }

  @ServeView(declaredViews.alignment)
  alignment(
    @ViewQuery(declaredViews.alignment) query: z.infer<typeof declaredViews.alignment.query>,
    @Answer() answer: AnswerTo,
  ) {
    return this.serve(declaredViews.alignment, query, answer);
  }

  @ServeView(declaredViews.accounts)
  accounts(
    @ViewQuery(declaredViews.accounts) query: z.infer<typeof declaredViews.accounts.query>,
    @Answer() answer: AnswerTo,
  ) {
    return this.serve(declaredViews.accounts, query, answer);
  }

  @ServeView(declaredViews.targets)
  targets(
    @ViewQuery(declaredViews.targets) query: z.infer<typeof declaredViews.targets.query>,
    @Answer() answer: AnswerTo,
  ) {
    return this.serve(declaredViews.targets, query, answer);
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
  @ApiAnswer(200, reconciliationSchema, 'The verdict as JSON, or the lens checks as CSV', {
    alsoAs: { 'text/csv': reconciliationCsv },
  })
  async reconciliation(
    @Query(new ZodQueryPipe(reconciliationQuery)) query: ReconciliationQuery,
    @Headers('accept') accept: string | undefined,
    @Res({ passthrough: true }) response: Response,
  ) {
    const { rules } = await this.scope(query, response);
    const reconciliation = await this.analytics.reconciliation.reconcile({ rules });
    if (chooseFormat(query.format, accept) === 'json') return reconciliation;
    return send(response, present(reconciliationChecks, reconciliation.checks, {}, 'csv'));
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
