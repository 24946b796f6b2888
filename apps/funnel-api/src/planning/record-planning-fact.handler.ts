/**
 * Targets and campaign spend: plain facts with no lifecycle to guard, appended to
 * their own streams (`targets`, `campaign-<id>`) for the lenses to read. A body's
 * `expectedRevision` is honoured on that stream as on a lead's (-1: no stream yet);
 * a stale one is refused by the store (409) and nothing is written.
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
import { type EventStore, type ExpectedRevision, writeEvents } from '@tandem/event-store';
import type { CommandOptions } from '../leads/lead-command.requests';
import type { RequestContext } from '../http/request-context';
import { EVENT_STORE } from '../platform/tokens';
import { eventIdsFor } from '../http/idempotency/key-derived-ids';
import { writeContext } from '../platform/write-context';

export type PlanningFact = TargetSet | CampaignSpendRecorded;

export class RecordPlanningFact extends Command<{ eventId: string; revision: number }> {
  constructor(
    readonly fact: PlanningFact,
    readonly options: CommandOptions,
    readonly context: RequestContext,
  ) {
    super();
  }
}

@CommandHandler(RecordPlanningFact)
export class RecordPlanningFactHandler implements ICommandHandler<RecordPlanningFact> {
  constructor(@Inject(EVENT_STORE) private readonly store: EventStore) {}

  async execute({ fact, options, context }: RecordPlanningFact) {
    const { occurredAt, expectedRevision } = options;
    authorize(context.actor.role, fact.type === 'TargetSet' ? 'SetTarget' : 'RecordCampaignSpend');
    const streamId =
      fact.type === 'TargetSet' ? TARGETS_STREAM : campaignStreamId(fact.data.campaign);
    const expected: ExpectedRevision =
      expectedRevision === undefined
        ? 'any'
        : expectedRevision === -1
          ? 'no_stream'
          : BigInt(expectedRevision);
    const { envelopes, appended } = await writeEvents(
      this.store,
      streamId,
      [fact],
      writeContext(context, { occurredAt: new Date(occurredAt ?? Date.now()).toISOString() }),
      expected,
      [],
      // Under an Idempotency-Key the event's id derives from it: a retry after the key's
      // lifetime is refused by the store (409 already_recorded) instead of counted twice.
      eventIdsFor(context.idempotencyScope, streamId),
    );
    return { eventId: envelopes[0]!.eventId, revision: Number(appended.nextExpectedRevision) };
  }
}
