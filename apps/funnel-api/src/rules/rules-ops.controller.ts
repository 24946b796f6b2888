/**
 * Ops over rule sets: replay a draft (what-if) or a published version, follow a replay, list
 * what analytics keeps, switch every view and new decision to a version (activation), or do
 * all of it in one call (apply: RuleSetApplies replays if needed, waits, activates). Writes are
 * ops only. The switch is one FunnelDefinitionActivated event: the decisions read it from the
 * store, the views from active_rules once the projector has projected it, which this waits for.
 * Each answer's schema is in rules-ops.responses.ts, tied there to the type returned here.
 */
import {
  Body,
  Controller,
  Get,
  HttpCode,
  Inject,
  NotFoundException,
  Param,
  Post,
  Query,
  Res,
} from '@nestjs/common';
import { ApiBody, ApiOperation, ApiTags } from '@nestjs/swagger';
import {
  assertActivatable,
  assertFactsCurrent,
  compareRuleSets,
  describeRuleSet,
  NO_HEARTBEAT,
  ruleSetKey,
  sameRuleSet,
  type WhatIfReport,
} from '@tandem/analytics';
import { authorize, parseDefinitionToPublish } from '@tandem/domain';
import type { Response } from 'express';
import { z } from 'zod';
import { rulesVersionInUrl } from '../analytics/analytics-query.schemas';
import { ZodQueryPipe } from '../analytics/zod-query.pipe';
import { ActiveDefinition } from '../definitions/active-definition.service';
import { Allow, AllowCommand, OPERATORS, VIEW_READERS } from '../auth/access.decorators';
import { ApiAnswer } from '../http/api-answer.decorator';
import { Ctx, type RequestContext } from '../http/request-context';
import { requestBodySchema } from '../http/request-body-schema';
import { ZodBodyPipe } from '../http/zod-body.pipe';
import type { AnalyticsHandle } from '../platform/analytics.provider';
import { ANALYTICS } from '../platform/tokens';
import { RuleReplays, type ReplayView } from './rule-replays.service';
import { RuleSetActivation, type RuleSetActivationOutcome } from './rule-set-activation.service';
import { type ApplyView, RuleSetApplies } from './rule-set-applies.service';
import {
  activationSchema,
  applySchema,
  replaySchema,
  ruleSetListSchema,
  whatIfSchema,
} from './rules-ops.responses';

// Which of the two a body that is neither meant cannot be told: the message names both.
const replayRequest = z.union(
  [
    z.strictObject({ draft: z.unknown() }),
    z.strictObject({ version: z.number().int().positive() }),
  ],
  {
    error:
      'give either draft (a definition to try) or version (a published rules version, a positive integer), not both',
  },
);
type ReplayRequest = z.infer<typeof replayRequest>;

/**
 * Activation and apply both name a published version, and may insist on what is in force: a
 * late retry then cannot roll back an activation made since (ADR 0007).
 */
const activationRequest = z.strictObject({
  version: z.number().int().positive(),
  expectedActiveVersion: z
    .number()
    .int()
    .positive()
    .optional()
    .describe(
      'Activate only while this version is in force, else 409 `active_version_changed` naming the one that is',
    ),
  expectedActivationId: z
    .uuid()
    .optional()
    .describe(
      'Activate only while this very activation is in force (`activationId` of GET /definitions), else 409 ' +
        '`activation_changed` naming the one that is; unlike the version, it also sees A → B → A',
    ),
});
type ActivationRequest = z.infer<typeof activationRequest>;
const preconditionsOf = ({ expectedActiveVersion, expectedActivationId }: ActivationRequest) => ({
  expectedActiveVersion,
  expectedActivationId,
});

/** As the views' `rulesVersion` and `GET /definitions/:version` spell it. */
const version = rulesVersionInUrl('A rules version');
const hash = z.string().regex(/^[0-9a-f]{16}$/, 'must be 16 lower-case hex digits');
const compareQuery = z
  .strictObject({
    baseVersion: version.optional(),
    baseHash: hash.optional(),
    candidateVersion: version,
    candidateHash: hash.optional(),
    sample: z
      .string()
      .regex(/^\d{1,3}$/, 'must be a whole number up to 999')
      .transform(Number)
      .optional(),
  })
  // Without its version a hash names no set: a 404 "definitionHash needs rulesVersion" named a
  // parameter this route does not have.
  .superRefine((query, ctx) => {
    if (query.baseHash !== undefined && query.baseVersion === undefined)
      ctx.addIssue({ code: 'custom', path: ['baseHash'], message: 'needs baseVersion' });
  });
type CompareQuery = z.infer<typeof compareQuery>;

@ApiTags('ops')
@Controller()
export class RulesOpsController {
  constructor(
    @Inject(ANALYTICS) private readonly analytics: AnalyticsHandle,
    private readonly replays: RuleReplays,
    private readonly definitions: ActiveDefinition,
    private readonly activation: RuleSetActivation,
    private readonly applies: RuleSetApplies,
  ) {}

  @AllowCommand('RebuildProjections')
  @Post('ops/rules/replays')
  @HttpCode(202)
  @ApiOperation({
    summary:
      'Replay the history under a draft ({draft}, a what-if) or a published version ({version}); follow GET /ops/rules/replays/:id',
  })
  @ApiBody({ schema: requestBodySchema(replayRequest) })
  @ApiAnswer(202, replaySchema, 'Started (or done already); `Location` is the replay')
  async replay(
    @Body(new ZodBodyPipe(replayRequest)) body: ReplayRequest,
    @Ctx() context: RequestContext,
    @Res({ passthrough: true }) response: Response,
  ): Promise<ReplayView> {
    authorize(context.actor.role, 'RebuildProjections');
    const follow = (replay: ReplayView): ReplayView => {
      // 202: the replay's status resource (RFC 9110 §15.3.3).
      response.setHeader('location', `/ops/rules/replays/${encodeURIComponent(replay.id)}`);
      return replay;
    };
    if ('draft' in body) {
      // A what-if is of a draft that could be published: the same checks as publishing.
      const draft = parseDefinitionToPublish(body.draft);
      const published = (await this.definitions.all()).find(
        (entry) => entry.version === draft.version,
      );
      const kind =
        published !== undefined && sameRuleSet(ruleSetKey(published.definition), ruleSetKey(draft))
          ? 'published'
          : 'shadow';
      return follow(await this.replays.start(draft, kind));
    }
    const published = await this.published(body.version);
    return follow(await this.replays.start(published.definition, 'published'));
  }

  @Allow(...OPERATORS)
  @Get('ops/rules/replays/:id')
  @ApiOperation({ summary: 'Progress of a replay: events done / total, events/s, ETA' })
  @ApiAnswer(200, replaySchema, 'The replay as it stands')
  replayStatus(@Param('id') id: string): ReplayView {
    return this.replays.get(id);
  }

  @Allow(...OPERATORS)
  @Get('ops/rules')
  @ApiOperation({ summary: 'The rule sets analytics keeps, and the one views read' })
  @ApiAnswer(200, ruleSetListSchema, 'Every kept rule set, and the active one')
  async list(): Promise<z.infer<typeof ruleSetListSchema>> {
    const [activation, sets] = await Promise.all([
      this.analytics.ruleSets.activation(),
      this.analytics.queries.ruleSets(),
    ]);
    return {
      active:
        activation === null
          ? null
          : { rulesVersion: activation.rulesVersion, definitionHash: activation.definitionHash },
      sets: sets.map((set) => ({
        rulesVersion: set.rulesVersion,
        definitionHash: set.definitionHash,
        name: set.name,
        kind: set.kind,
        status: set.status,
        eventsDone: set.eventsDone,
        eventsTotal: set.eventsTotal,
        updatedAt: set.heartbeatAt === NO_HEARTBEAT ? null : set.heartbeatAt,
        replaying: this.replays.runningFor(set)?.id ?? null,
      })),
    };
  }

  @AllowCommand('ActivateFunnelDefinition')
  @Post('ops/rules/activations')
  @HttpCode(200)
  @ApiOperation({
    summary:
      'Apply a published version: every view and new decision uses it (its rule set must be ready)',
  })
  @ApiBody({ schema: requestBodySchema(activationRequest) })
  @ApiAnswer(200, activationSchema, 'Activated: the views read the set')
  @ApiAnswer(
    202,
    activationSchema,
    'Activated, the views not yet switched; `Location` is /ops/rules',
  )
  async activate(
    @Body(new ZodBodyPipe(activationRequest)) body: ActivationRequest,
    @Ctx() context: RequestContext,
    @Res({ passthrough: true }) response: Response,
  ): Promise<RuleSetActivationOutcome> {
    authorize(context.actor.role, 'ActivateFunnelDefinition');
    const outcome = await this.activation.activate(body.version, context, preconditionsOf(body));
    if (!outcome.viewsSwitched) {
      // Accepted, not yet visible: the rule sets list names the active set once it is.
      response.status(202);
      response.setHeader('location', '/ops/rules');
    }
    return outcome;
  }

  @AllowCommand('ActivateFunnelDefinition')
  @Post('ops/rules/applies')
  @HttpCode(202)
  @ApiOperation({
    summary:
      'Apply a published version in one call: replay its rule set unless built, wait until ready, activate it. ' +
      '200 once applied; 202 while it replays (follow GET /ops/rules/applies/:id). Asking again joins a running apply. ' +
      'The preconditions of an activation are checked when asked and again when it activates',
  })
  @ApiBody({ schema: requestBodySchema(activationRequest) })
  @ApiAnswer(202, applySchema, 'Replaying the set first; `Location` is the apply')
  @ApiAnswer(200, applySchema, 'Applied (the set was built already, or the wait sufficed)')
  async apply(
    @Body(new ZodBodyPipe(activationRequest)) body: ActivationRequest,
    @Ctx() context: RequestContext,
    @Res({ passthrough: true }) response: Response,
  ): Promise<ApplyView> {
    const applied = await this.applies.apply(body.version, context, preconditionsOf(body));
    if (applied.status === 'done') response.status(200);
    response.setHeader('location', `/ops/rules/applies/${encodeURIComponent(applied.id)}`);
    return applied;
  }

  @Allow(...OPERATORS)
  @Get('ops/rules/applies/:id')
  @ApiOperation({
    summary:
      'Progress of an apply: replaying (with the replay, events done / total), activating, done or failed',
  })
  @ApiAnswer(200, applySchema, 'The apply as it stands')
  applyStatus(@Param('id') id: string): ApplyView {
    return this.applies.get(id);
  }

  private async published(version: number) {
    const found = (await this.definitions.all()).find((entry) => entry.version === version);
    if (!found)
      throw new NotFoundException(`funnel definition version ${version} is not published`);
    return found;
  }

  @Allow(...VIEW_READERS)
  @Get('analytics/rules/compare')
  @ApiOperation({
    summary:
      'What-if report: two kept rule sets side by side (stages, channels, MQL→SQL, attribution, changed leads)',
  })
  @ApiAnswer(200, whatIfSchema, 'The report: base and candidate side by side')
  async compare(@Query(new ZodQueryPipe(compareQuery)) query: CompareQuery): Promise<WhatIfReport> {
    const queries = this.analytics.queries;
    const base = await queries.ruleSet({
      ...(query.baseVersion !== undefined ? { rulesVersion: query.baseVersion } : {}),
      ...(query.baseHash !== undefined ? { definitionHash: query.baseHash } : {}),
    });
    const candidate = await queries.ruleSet({
      rulesVersion: query.candidateVersion,
      ...(query.candidateHash !== undefined ? { definitionHash: query.candidateHash } : {}),
    });
    // The same rules as activation: a set's views are whole only once it is ready, and a
    // report of rows other code computed would count the code's change as the rules'.
    for (const set of [base, candidate]) {
      assertActivatable(set, describeRuleSet(set));
      assertFactsCurrent(
        set,
        describeRuleSet(set),
        this.replays.rederiving(set)
          ? 'it is being re-derived (GET /health lists it under ruleFacts.rederiving); compare once that is done'
          : `re-derive it with a replay first (POST /ops/rules/replays with its ${set.kind === 'shadow' ? 'draft' : 'version'})`,
      );
    }
    return compareRuleSets(queries, base, candidate, query.sample ?? 10);
  }
}
