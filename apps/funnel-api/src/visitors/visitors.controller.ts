/**
 * HTTP for touchpoints before capture: a web visit or ad click recorded against the visitor id
 * a tracking snippet keeps (ADR 0012). Capturing the lead later with `visitorIds` stitches
 * these touches to it. Thin: validate, dispatch, return.
 */
import { Body, Controller, HttpCode, Param, type PipeTransform, Post } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import { ApiBody, ApiTags } from '@nestjs/swagger';
import { eventDataSchemas, idTextSchema, textSchema } from '@tandem/contracts';
import { VISITOR_ID_PATTERN } from '@tandem/domain';
import { z } from 'zod';
import { AllowCommand } from '../auth/access.decorators';
import { ApiAnswer } from '../http/api-answer.decorator';
import { InvalidRequestError } from '../http/problem-details';
import { Ctx, type RequestContext } from '../http/request-context';
import { requestBodySchema } from '../http/request-body-schema';
import { ZodBodyPipe } from '../http/zod-body.pipe';
import { commandOptions } from '../leads/lead-command.requests';
import {
  type AnonymousTouchpointOutcome,
  RecordAnonymousTouchpoint,
} from './record-anonymous-touchpoint.handler';

// The event's fields, its text held to a new fact's rule (textSchema: something visible).
const touchpointRequest = eventDataSchemas.AnonymousTouchpointRecorded.omit({ visitorId: true })
  .extend({
    touchpointId: idTextSchema,
    channel: textSchema,
    campaign: textSchema.nullable().default(null),
  })
  .extend(commandOptions.omit({ expectedRevision: true }).shape)
  .strict();

const outcome = z.strictObject({
  eventId: z
    .string()
    .nullable()
    .describe('The recorded event; null when the visitor already had this touchpointId'),
});
// Both directions: the documented answer is the handler's.
const _answerFits = (answer: AnonymousTouchpointOutcome): z.infer<typeof outcome> => answer;
const _schemaFits = (parsed: z.infer<typeof outcome>): AnonymousTouchpointOutcome => parsed;
void _answerFits;
void _schemaFits;

/** A malformed `:visitorId` is a 400 naming the path parameter, before any handler runs. */
class VisitorIdPipe implements PipeTransform<unknown, string> {
  transform(value: unknown): string {
    if (typeof value === 'string' && VISITOR_ID_PATTERN.test(value)) return value;
    throw new InvalidRequestError([
      { in: 'path', field: 'visitorId', message: 'must be 8–64 letters, digits, _ or -' },
    ]);
  }
}

@ApiTags('visitors')
@Controller()
export class VisitorsController {
  constructor(private readonly commands: CommandBus) {}

  /** 201 with the event id; a touchpoint id sent again is answered with eventId null. */
  @AllowCommand('RecordAnonymousTouchpoint')
  @Post('visitors/:visitorId/touchpoints')
  @HttpCode(201)
  @ApiBody({ schema: requestBodySchema(touchpointRequest) })
  @ApiAnswer(201, outcome, 'Recorded (or already recorded under this touchpointId)')
  record(
    @Param('visitorId', new VisitorIdPipe()) visitorId: string,
    @Body(new ZodBodyPipe(touchpointRequest)) body: z.infer<typeof touchpointRequest>,
    @Ctx() context: RequestContext,
  ) {
    const { occurredAt, ...data } = body;
    return this.commands.execute(
      new RecordAnonymousTouchpoint(
        { type: 'RecordAnonymousTouchpoint', data: { visitorId, ...data } },
        occurredAt,
        context,
      ),
    );
  }
}
