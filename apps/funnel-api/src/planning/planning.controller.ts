/**
 * HTTP for targets and campaign spend. Thin: validate, dispatch, return. `expectedRevision`
 * is the revision of the fact's stream (`targets`, or the campaign's) the client last saw.
 * A spend's `spendId` already recorded with the same facts answers 200 and `events: []`.
 */
import { Body, Controller, HttpCode, Post, Res } from '@nestjs/common';
import { CommandBus, type CommandResult } from '@nestjs/cqrs';
import { ApiBody, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import { z } from 'zod';
import { AllowCommand } from '../auth/access.decorators';
import { ApiAnswer } from '../http/api-answer.decorator';
import { Ctx, type RequestContext } from '../http/request-context';
import { requestBodySchema } from '../http/request-body-schema';
import { ZodBodyPipe } from '../http/zod-body.pipe';
import { spendRequest, targetRequest } from './planning.requests';
import { RecordPlanningFact } from './record-planning-fact.handler';

/** What RecordPlanningFact answers (its Command's result type, checked below). */
const recorded = z.strictObject({
  eventId: z.string().describe('The event recorded'),
  revision: z
    .number()
    .int()
    .describe("The stream's revision after it: the `expectedRevision` of the next write"),
  events: z
    .array(
      z.strictObject({
        eventId: z.string(),
        type: z.enum(['TargetSet', 'CampaignSpendRecorded']),
      }),
    )
    .describe('The event appended; empty when a `spendId` was recorded before with these facts'),
});
const _answerFits = (answer: CommandResult<RecordPlanningFact>): z.infer<typeof recorded> => answer;
const _schemaFits = (parsed: z.infer<typeof recorded>): CommandResult<RecordPlanningFact> => parsed;
void _answerFits;
void _schemaFits;

@ApiTags('planning')
@Controller()
export class PlanningController {
  constructor(private readonly commands: CommandBus) {}

  @AllowCommand('SetTarget')
  @Post('targets')
  @HttpCode(201)
  @ApiOperation({
    summary: 'Set a target (TargetSet); the latest per team, metric, period and owner counts',
    description:
      'Under an `Idempotency-Key` the event id derives from the key: a retry after the key ' +
      'expired is **409** `already_recorded` naming it, nothing recorded again.',
  })
  @ApiBody({ schema: requestBodySchema(targetRequest) })
  @ApiAnswer(201, recorded, 'Recorded: the TargetSet event')
  setTarget(
    @Body(new ZodBodyPipe(targetRequest)) body: z.infer<typeof targetRequest>,
    @Ctx() context: RequestContext,
  ) {
    const { occurredAt, expectedRevision, ...data } = body;
    return this.commands.execute(
      new RecordPlanningFact(
        { type: 'TargetSet', data },
        { occurredAt, expectedRevision },
        context,
      ),
    );
  }

  @AllowCommand('RecordCampaignSpend')
  @Post('campaign-spend')
  @HttpCode(201)
  @ApiOperation({
    summary: "Record a campaign's spend (CampaignSpendRecorded); every record adds up",
    description:
      'Send your own `spendId` (one per spend, e.g. the invoice number): its event id derives ' +
      'from it, so the spend is recorded once however often it is sent, at once or later. ' +
      'The same id again with the same facts is **200** with `events: []`; with other facts ' +
      '(campaign, channel, amount, currency, spentOn) **409** `spend_conflict` naming the ' +
      'recorded `eventId`. Without a `spendId`, an `Idempotency-Key` holds a retry within its ' +
      'lifetime (after it, **409** `already_recorded`); with neither, a retried request is ' +
      'recorded again and the spend counts twice.',
  })
  @ApiBody({ schema: requestBodySchema(spendRequest) })
  @ApiAnswer(201, recorded, 'Recorded: the CampaignSpendRecorded event')
  @ApiAnswer(
    200,
    recorded,
    'Recorded before under this `spendId`, with these facts: nothing appended',
  )
  async recordSpend(
    @Body(new ZodBodyPipe(spendRequest)) body: z.infer<typeof spendRequest>,
    @Ctx() context: RequestContext,
    @Res({ passthrough: true }) response: Response,
  ) {
    const { occurredAt, expectedRevision, spendId, ...data } = body;
    const answer = await this.commands.execute(
      new RecordPlanningFact(
        { type: 'CampaignSpendRecorded', data },
        { occurredAt, expectedRevision },
        context,
        spendId,
      ),
    );
    if (answer.events.length === 0) response.status(200);
    return answer;
  }
}
