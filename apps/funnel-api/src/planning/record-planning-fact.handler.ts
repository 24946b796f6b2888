/**
 * Targets and campaign spend: plain facts with no lifecycle to guard, appended to
 * their own streams (`targets`, `campaign-<id>`) for the lenses to read.
 */
import { Inject } from '@nestjs/common';
import { Command, CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import { encodeForStore } from '@tandem/contracts';
import {
  authorize,
  type CampaignSpendRecorded,
  campaignStreamId,
  TARGETS_STREAM,
  type TargetSet,
} from '@tandem/domain';
import type { EventStore } from '@tandem/event-store';
import { v7 as uuidv7 } from 'uuid';
import type { RequestContext } from '../http/request-context';
import { EVENT_STORE } from '../platform/tokens';

export type PlanningFact = TargetSet | CampaignSpendRecorded;

export class RecordPlanningFact extends Command<{ eventId: string }> {
  constructor(
    readonly fact: PlanningFact,
    readonly occurredAt: string | undefined,
    readonly context: RequestContext,
  ) {
    super();
  }
}

@CommandHandler(RecordPlanningFact)
export class RecordPlanningFactHandler implements ICommandHandler<RecordPlanningFact> {
  constructor(@Inject(EVENT_STORE) private readonly store: EventStore) {}

  async execute({ fact, occurredAt, context }: RecordPlanningFact) {
    authorize(context.actor.role, fact.type === 'TargetSet' ? 'SetTarget' : 'RecordCampaignSpend');
    const streamId =
      fact.type === 'TargetSet' ? TARGETS_STREAM : campaignStreamId(fact.data.campaign);
    const eventId = uuidv7();
    const event = encodeForStore(fact, {
      eventId,
      leadId: null,
      accountId: null,
      occurredAt: new Date(occurredAt ?? Date.now()).toISOString(),
      correlationId: context.correlationId,
      causationId: context.causationId,
      actor: context.actor,
    });
    await this.store.append(streamId, [event], { expectedRevision: 'any' });
    return { eventId };
  }
}
