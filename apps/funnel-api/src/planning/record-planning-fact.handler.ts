/**
 * Targets and campaign spend: plain facts with no lifecycle to guard, appended to
 * their own streams (`targets`, `campaign-<id>`) for the lenses to read. A body's
 * `expectedRevision` is honoured on that stream as on a lead's (-1: no stream yet);
 * a stale one is refused by the store (409) and nothing is written.
 *
 * A spend sent with the client's `spendId` is held once: its event id derives from the id
 * (spend-event-id.ts), the store refuses the second, and the refusal is decided on the spend
 * the store holds (decideSpendRetry): the same facts answer `events: []` (200), other facts
 * 409 spend_conflict. A retry sent with the first attempt's `expectedRevision` meets a stream
 * that moved on; it is decided the same way when the stream holds its spend.
 */
import { Inject } from '@nestjs/common';
import { Command, CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import {
  authorize,
  type CampaignSpendRecorded,
  campaignStreamId,
  decideSpendRetry,
  TARGETS_STREAM,
  type TargetSet,
} from '@tandem/domain';
import {
  DuplicateEventIdError,
  type EventStore,
  type ExpectedRevision,
  WrongExpectedRevisionError,
  writeEvents,
} from '@tandem/event-store';
import type { CommandOptions } from '../leads/lead-command.requests';
import type { RequestContext } from '../http/request-context';
import { EVENT_STORE } from '../platform/tokens';
import { eventIdsFor } from '../http/idempotency/key-derived-ids';
import { writeContext } from '../platform/write-context';
import { spendEventId } from './spend-event-id';

export type PlanningFact = TargetSet | CampaignSpendRecorded;

/** What a planning fact answers: the event that holds it, the stream's revision, what was appended. */
export interface PlanningFactAnswer {
  readonly eventId: string;
  readonly revision: number;
  /** The event appended; empty when a spend's `spendId` was recorded before with these facts. */
  readonly events: { eventId: string; type: PlanningFact['type'] }[];
}

export class RecordPlanningFact extends Command<PlanningFactAnswer> {
  constructor(
    readonly fact: PlanningFact,
    readonly options: CommandOptions,
    readonly context: RequestContext,
    /** The client's id of a spend (CampaignSpendRecorded only): held once. */
    readonly spendId?: string,
  ) {
    super();
  }
}

@CommandHandler(RecordPlanningFact)
export class RecordPlanningFactHandler implements ICommandHandler<RecordPlanningFact> {
  constructor(@Inject(EVENT_STORE) private readonly store: EventStore) {}

  async execute({ fact, options, context, spendId }: RecordPlanningFact) {
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
    const heldId =
      fact.type === 'CampaignSpendRecorded' && spendId !== undefined
        ? spendEventId(spendId)
        : undefined;
    try {
      const { envelopes, appended } = await writeEvents(
        this.store,
        streamId,
        [fact],
        writeContext(context, { occurredAt: new Date(occurredAt ?? Date.now()).toISOString() }),
        expected,
        [],
        // A spend's own id names its event; else, under an Idempotency-Key the event's id
        // derives from the key: a retry after the key's lifetime is refused by the store (409
        // already_recorded) instead of counted twice.
        heldId === undefined ? eventIdsFor(context.idempotencyScope, streamId) : () => heldId,
      );
      const eventId = envelopes[0]!.eventId;
      return {
        eventId,
        revision: Number(appended.nextExpectedRevision),
        events: [{ eventId, type: fact.type }],
      };
    } catch (error) {
      if (heldId === undefined || fact.type !== 'CampaignSpendRecorded') throw error;
      const refusedAsHeld =
        (error instanceof DuplicateEventIdError && error.eventId === heldId) ||
        error instanceof WrongExpectedRevisionError;
      if (!refusedAsHeld) throw error;
      return this.heldSpend(streamId, heldId, spendId!, fact, error);
    }
  }

  /**
   * The answer to a spend whose id the store already holds: read from the campaign's stream
   * (committed events, so a concurrent first attempt that won is there). Only on this path:
   * recording a spend never reads its stream.
   */
  private async heldSpend(
    streamId: string,
    eventId: string,
    spendId: string,
    fact: CampaignSpendRecorded,
    refusal: DuplicateEventIdError | WrongExpectedRevisionError,
  ): Promise<PlanningFactAnswer> {
    const events = await this.store.readStream(streamId);
    const recorded = events.find((event) => event.eventId === eventId);
    // A stale expectedRevision on a stream that does not hold this spend: the client's conflict.
    if (recorded === undefined && refusal instanceof WrongExpectedRevisionError) throw refusal;
    decideSpendRetry(
      spendId,
      eventId,
      fact.data,
      recorded?.data as CampaignSpendRecorded['data'] | undefined,
    );
    return { eventId, revision: Number(events.at(-1)!.streamRevision), events: [] };
  }
}
