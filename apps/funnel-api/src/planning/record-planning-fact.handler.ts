/**
 * Targets and campaign spend: plain facts with no lifecycle to guard, appended to
 * their own streams (`targets`, `campaign-<id>`) for the lenses to read.
 */
import { Inject } from '@nestjs/common';
import { Command, CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import {
  authorize,
  type CampaignSpendRecorded,
  campaignStreamId,
  TARGETS_STREAM,
  type TargetSet,
} from '@tandem/domain';
import { type EventStore, writeEvents } from '@tandem/event-store';
import type { RequestContext } from '../http/request-context';
import { EVENT_STORE } from '../platform/tokens';
import { writeContext } from '../platform/write-context';

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
    const { envelopes } = await writeEvents(
      this.store,
      streamId,
      [fact],
      writeContext(context, { occurredAt: new Date(occurredAt ?? Date.now()).toISOString() }),
      'any',
    );
    return { eventId: envelopes[0]!.eventId };
  }
}
