/**
 * HTTP for the lead lifecycle: one endpoint per command, each a thin translation
 * to ExecuteLeadCommand. Bodies are validated before anything is read or written.
 */
import { Body, Controller, Get, HttpCode, Param, Post, Res } from '@nestjs/common';
import { CommandBus, QueryBus } from '@nestjs/cqrs';
import { ApiBody, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import { z } from 'zod';
import { ApiAnswer } from '../http/api-answer.decorator';
import { mintId } from '../http/idempotency/key-derived-ids';
import { LeadIdPipe } from '../http/lead-id.pipe';
import { Allow, AllowCommand, PERSONAL_DATA_READERS } from '../auth/access.decorators';
import { Ctx, type RequestContext } from '../http/request-context';
import { requestBodySchema } from '../http/request-body-schema';
import { ZodBodyPipe } from '../http/zod-body.pipe';
import { ExecuteLeadCommand, type LeadCommandResult } from './execute-lead-command.handler';
import { GetLeadTimeline, type LeadTimeline } from './get-lead-timeline.handler';
import { ApiLeadCommandResult } from './lead-command.responses';
import { leadTimelineSchema } from './lead-timeline.responses';
import {
  captureLeadRequest,
  leadRequests,
  type LeadRequestType,
  type ParsedLeadRequest,
} from './lead-command.requests';

// Any spelling of a lead id (UUID, hubspot:…, salesforce:…) becomes its canonical form.
const leadIdParam = new LeadIdPipe();
const bodySchema = (type: LeadRequestType) => requestBodySchema(leadRequests[type]);

@ApiTags('leads')
@Controller('leads')
export class LeadsController {
  constructor(
    private readonly commands: CommandBus,
    private readonly queries: QueryBus,
  ) {}

  @AllowCommand('CaptureLead')
  @Post()
  @HttpCode(201)
  @ApiLeadCommandResult(201)
  @ApiOperation({
    summary: 'Capture a lead (LeadCaptured); returns its id',
    description:
      'Without `leadId` the server mints one: derived from the `Idempotency-Key` when one is sent, ' +
      'so a retry after the key expired names the same lead and is refused **409** ' +
      '`lead_already_captured` with its `leadId` (nothing recorded again); random without a key, ' +
      'so a retry without key or leadId captures a second lead. A `leadId` that exists is that 409 too, ' +
      'unless the lead was erased: **422** `lifecycle_violation`, as every command after erasure.',
  })
  @ApiBody({ schema: requestBodySchema(captureLeadRequest) })
  async capture(
    @Body(new ZodBodyPipe(captureLeadRequest)) body: z.infer<typeof captureLeadRequest>,
    @Ctx() context: RequestContext,
    @Res({ passthrough: true }) response: Response,
  ): Promise<LeadCommandResult> {
    // Without a leadId, the id is derived from the Idempotency-Key if one came (ADR 0007): a
    // retry after the key's lifetime names this lead again, refused as already captured.
    const leadId = body.leadId ?? mintId(context.idempotencyScope, 'lead');
    const result = await this.commands.execute(
      new ExecuteLeadCommand(leadId, body.command, body.options, context, body.accountId),
    );
    // The new lead's one readable resource is its timeline (RFC 9110 §15.3.2). A canonical id
    // holds only characters a path segment allows as they are (`hubspot:1234` included).
    response.setHeader('location', `/leads/${leadId}/timeline`);
    return result;
  }

  @Allow(...PERSONAL_DATA_READERS)
  @Get(':leadId/timeline')
  @ApiOperation({ summary: "The lead's events in order (personal data redacted once erased)" })
  @ApiAnswer(200, leadTimelineSchema, 'The lead, its status and its events')
  timeline(@Param('leadId', leadIdParam) leadId: string): Promise<LeadTimeline> {
    return this.queries.execute(new GetLeadTimeline(leadId));
  }

  @AllowCommand('RecordTouchpoint')
  @Post(':leadId/touchpoints')
  @HttpCode(200)
  @ApiLeadCommandResult(200)
  @ApiOperation({
    summary: 'Record a touchpoint (page view, download, webinar, fair, ad …)',
    description:
      'A `touchpointId` is recorded once per lead: the same touch again is **200** with `events: []`, ' +
      'other facts under it **409** `touchpoint_conflict`. Without one the server mints it, derived ' +
      'from the `Idempotency-Key` when one is sent, so a retry after the key expired is that same ' +
      'touch (200, `events: []`); without key or id, a retry is a second touch.',
  })
  @ApiBody({ schema: bodySchema('RecordTouchpoint') })
  recordTouchpoint(
    @Param('leadId', leadIdParam) leadId: string,
    @Body(new ZodBodyPipe(leadRequests.RecordTouchpoint)) body: ParsedLeadRequest,
    @Ctx() context: RequestContext,
  ) {
    return this.run(leadId, body, context);
  }

  @AllowCommand('ProfileLead')
  @Post(':leadId/profile')
  @HttpCode(200)
  @ApiLeadCommandResult(200)
  @ApiOperation({ summary: 'Add firmographics, role, budget, timeline' })
  @ApiBody({ schema: bodySchema('ProfileLead') })
  profile(
    @Param('leadId', leadIdParam) leadId: string,
    @Body(new ZodBodyPipe(leadRequests.ProfileLead)) body: ParsedLeadRequest,
    @Ctx() context: RequestContext,
  ) {
    return this.run(leadId, body, context);
  }

  @AllowCommand('QualifyLeadAsMql')
  @Post(':leadId/mql')
  @HttpCode(200)
  @ApiLeadCommandResult(200)
  @ApiOperation({
    summary: 'Qualify as MQL under the active funnel definition (automated decision)',
  })
  @ApiBody({ schema: bodySchema('QualifyLeadAsMql') })
  qualifyAsMql(
    @Param('leadId', leadIdParam) leadId: string,
    @Body(new ZodBodyPipe(leadRequests.QualifyLeadAsMql)) body: ParsedLeadRequest,
    @Ctx() context: RequestContext,
  ) {
    return this.run(leadId, body, context);
  }

  @AllowCommand('HandLeadToSales')
  @Post(':leadId/handoff')
  @HttpCode(200)
  @ApiLeadCommandResult(200)
  @ApiOperation({ summary: 'Hand an MQL to a sales owner; the SLA clock starts' })
  @ApiBody({ schema: bodySchema('HandLeadToSales') })
  handToSales(
    @Param('leadId', leadIdParam) leadId: string,
    @Body(new ZodBodyPipe(leadRequests.HandLeadToSales)) body: ParsedLeadRequest,
    @Ctx() context: RequestContext,
  ) {
    return this.run(leadId, body, context);
  }

  @AllowCommand('HandLeadToSalesDirectly')
  @Post(':leadId/sales-sourced-handoff')
  @HttpCode(200)
  @ApiLeadCommandResult(200)
  @ApiOperation({
    summary:
      'Hand a lead to sales without an MQL (sales-sourced path: event contact, referral, outbound); the SLA clock starts',
  })
  @ApiBody({ schema: bodySchema('HandLeadToSalesDirectly') })
  handToSalesDirectly(
    @Param('leadId', leadIdParam) leadId: string,
    @Body(new ZodBodyPipe(leadRequests.HandLeadToSalesDirectly)) body: ParsedLeadRequest,
    @Ctx() context: RequestContext,
  ) {
    return this.run(leadId, body, context);
  }

  @AllowCommand('AcceptLead')
  @Post(':leadId/accept')
  @HttpCode(200)
  @ApiLeadCommandResult(200)
  @ApiOperation({ summary: 'Sales accepts a handed-over lead' })
  @ApiBody({ schema: bodySchema('AcceptLead') })
  accept(
    @Param('leadId', leadIdParam) leadId: string,
    @Body(new ZodBodyPipe(leadRequests.AcceptLead)) body: ParsedLeadRequest,
    @Ctx() context: RequestContext,
  ) {
    return this.run(leadId, body, context);
  }

  @AllowCommand('RejectLead')
  @Post(':leadId/reject')
  @HttpCode(200)
  @ApiLeadCommandResult(200)
  @ApiOperation({ summary: 'Sales rejects a handed-over lead with a reason from the shared list' })
  @ApiBody({ schema: bodySchema('RejectLead') })
  reject(
    @Param('leadId', leadIdParam) leadId: string,
    @Body(new ZodBodyPipe(leadRequests.RejectLead)) body: ParsedLeadRequest,
    @Ctx() context: RequestContext,
  ) {
    return this.run(leadId, body, context);
  }

  @AllowCommand('QualifyLeadAsSql')
  @Post(':leadId/sql')
  @HttpCode(200)
  @ApiLeadCommandResult(200)
  @ApiOperation({ summary: 'Sales qualifies an accepted lead as SQL' })
  @ApiBody({ schema: bodySchema('QualifyLeadAsSql') })
  qualifyAsSql(
    @Param('leadId', leadIdParam) leadId: string,
    @Body(new ZodBodyPipe(leadRequests.QualifyLeadAsSql)) body: ParsedLeadRequest,
    @Ctx() context: RequestContext,
  ) {
    return this.run(leadId, body, context);
  }

  @AllowCommand('OpenOpportunity')
  @Post(':leadId/opportunity')
  @HttpCode(200)
  @ApiLeadCommandResult(200)
  @ApiOperation({
    summary: 'Open an opportunity for an SQL',
    description:
      'The open opportunity opened again under its `opportunityId` is **200** with `events: []`. ' +
      'Without one the server mints it, derived from the `Idempotency-Key` when one is sent, so ' +
      'a retry after the key expired is answered so; once the opportunity moved on (won, lost), ' +
      'a retry is **422** `lifecycle_violation`, as every lifecycle move sent again is.',
  })
  @ApiBody({ schema: bodySchema('OpenOpportunity') })
  openOpportunity(
    @Param('leadId', leadIdParam) leadId: string,
    @Body(new ZodBodyPipe(leadRequests.OpenOpportunity)) body: ParsedLeadRequest,
    @Ctx() context: RequestContext,
  ) {
    return this.run(leadId, body, context);
  }

  @AllowCommand('ChangeOpportunityStage')
  @Post(':leadId/opportunity/stage')
  @HttpCode(200)
  @ApiLeadCommandResult(200)
  @ApiOperation({ summary: 'Move the open opportunity to another stage' })
  @ApiBody({ schema: bodySchema('ChangeOpportunityStage') })
  changeOpportunityStage(
    @Param('leadId', leadIdParam) leadId: string,
    @Body(new ZodBodyPipe(leadRequests.ChangeOpportunityStage)) body: ParsedLeadRequest,
    @Ctx() context: RequestContext,
  ) {
    return this.run(leadId, body, context);
  }

  @AllowCommand('WinDeal')
  @Post(':leadId/won')
  @HttpCode(200)
  @ApiLeadCommandResult(200)
  @ApiOperation({ summary: 'Close the opportunity as won' })
  @ApiBody({ schema: bodySchema('WinDeal') })
  winDeal(
    @Param('leadId', leadIdParam) leadId: string,
    @Body(new ZodBodyPipe(leadRequests.WinDeal)) body: ParsedLeadRequest,
    @Ctx() context: RequestContext,
  ) {
    return this.run(leadId, body, context);
  }

  @AllowCommand('LoseDeal')
  @Post(':leadId/lost')
  @HttpCode(200)
  @ApiLeadCommandResult(200)
  @ApiOperation({ summary: 'Close the opportunity as lost, with a loss reason' })
  @ApiBody({ schema: bodySchema('LoseDeal') })
  loseDeal(
    @Param('leadId', leadIdParam) leadId: string,
    @Body(new ZodBodyPipe(leadRequests.LoseDeal)) body: ParsedLeadRequest,
    @Ctx() context: RequestContext,
  ) {
    return this.run(leadId, body, context);
  }

  @AllowCommand('RecycleLead')
  @Post(':leadId/recycle')
  @HttpCode(200)
  @ApiLeadCommandResult(200)
  @ApiOperation({ summary: 'Send the lead back to nurturing' })
  @ApiBody({ schema: bodySchema('RecycleLead') })
  recycle(
    @Param('leadId', leadIdParam) leadId: string,
    @Body(new ZodBodyPipe(leadRequests.RecycleLead)) body: ParsedLeadRequest,
    @Ctx() context: RequestContext,
  ) {
    return this.run(leadId, body, context);
  }

  @AllowCommand('MergeLead')
  @Post(':leadId/merge')
  @HttpCode(200)
  @ApiLeadCommandResult(200)
  @ApiOperation({
    summary: 'Mark the lead as a duplicate merged into another',
    description: 'The same merge sent again is **200** with `events: []`, nothing appended.',
  })
  @ApiBody({ schema: bodySchema('MergeLead') })
  merge(
    @Param('leadId', leadIdParam) leadId: string,
    @Body(new ZodBodyPipe(leadRequests.MergeLead)) body: ParsedLeadRequest,
    @Ctx() context: RequestContext,
  ) {
    return this.run(leadId, body, context);
  }

  @AllowCommand('EraseLead')
  @Post(':leadId/erase')
  @HttpCode(200)
  @ApiLeadCommandResult(200)
  @ApiOperation({ summary: "Erase the lead's personal data on request (ops only)" })
  @ApiBody({ schema: bodySchema('EraseLead') })
  erase(
    @Param('leadId', leadIdParam) leadId: string,
    @Body(new ZodBodyPipe(leadRequests.EraseLead)) body: ParsedLeadRequest,
    @Ctx() context: RequestContext,
  ) {
    return this.run(leadId, body, context);
  }

  private run(leadId: string, body: ParsedLeadRequest, context: RequestContext) {
    return this.commands.execute(
      new ExecuteLeadCommand(leadId, body.command, body.options, context),
    );
  }
}
