/**
 * Records a touchpoint before capture (ADR 0012): load the visitor's stream, let the visitor
 * decider rule (a touchpoint id once per visitor), append with the revision read, so two
 * retries of one click racing each other cannot both land. A touch whose append finds the
 * stream moved (another touch of the visitor landed first: a page's beacons fire at once) is
 * decided again on what the store holds: the route takes no expectedRevision, so that conflict
 * is never the client's to resolve, and a beacon is not retried by the browser that sent it.
 */
import { Inject } from '@nestjs/common';
import { Command, CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import { decodeStoredEvent } from '@tandem/contracts';
import {
  authorize,
  decideVisitor,
  evolveVisitor,
  initialVisitorState,
  visitorEventTypes,
  visitorStreamId,
  type RecordAnonymousTouchpoint as RecordAnonymousTouchpointCommand,
  type VisitorEvent,
} from '@tandem/domain';
import { type EventStore, writeEvents } from '@tandem/event-store';
import type { RequestContext } from '../http/request-context';
import { EVENT_STORE } from '../platform/tokens';
import { eventIdsFor } from '../http/idempotency/key-derived-ids';
import { decideAgainOnConflict } from '../platform/decide-again';
import { writeContext } from '../platform/write-context';

export interface AnonymousTouchpointOutcome {
  /** The recorded event's id; null when this touchpoint id was already recorded. */
  readonly eventId: string | null;
}

export class RecordAnonymousTouchpoint extends Command<AnonymousTouchpointOutcome> {
  constructor(
    readonly command: RecordAnonymousTouchpointCommand,
    readonly occurredAt: string | undefined,
    readonly context: RequestContext,
  ) {
    super();
  }
}

/**
 * Decisions per touch: each round of touches racing on one visitor lands one of them, so this
 * covers a page's beacons at once; a visitor hammered harder than that still gets the 409.
 */
const ATTEMPTS = 8;

const isVisitorEvent = (type: string): type is VisitorEvent['type'] =>
  (visitorEventTypes as readonly string[]).includes(type);

@CommandHandler(RecordAnonymousTouchpoint)
export class RecordAnonymousTouchpointHandler implements ICommandHandler<RecordAnonymousTouchpoint> {
  constructor(@Inject(EVENT_STORE) private readonly store: EventStore) {}

  async execute(request: RecordAnonymousTouchpoint): Promise<AnonymousTouchpointOutcome> {
    authorize(request.context.actor.role, 'RecordAnonymousTouchpoint');
    return decideAgainOnConflict(ATTEMPTS, () => this.decideAndAppend(request));
  }

  private async decideAndAppend({
    command,
    occurredAt,
    context,
  }: RecordAnonymousTouchpoint): Promise<AnonymousTouchpointOutcome> {
    const streamId = visitorStreamId(command.data.visitorId);
    const recorded = await this.store.readStream(streamId);
    let state = initialVisitorState();
    for (const record of recorded) {
      const decoded = decodeStoredEvent(record);
      // A stored event that no longer decodes is corruption, not user error: fail loudly.
      if (!decoded.ok) throw new Error(`${streamId}: undecodable event ${record.eventId}`);
      const { envelope } = decoded;
      if (isVisitorEvent(envelope.type)) state = evolveVisitor(state, envelope as VisitorEvent);
    }
    const events = decideVisitor(command, state);
    if (events.length === 0) return { eventId: null };
    const { envelopes } = await writeEvents(
      this.store,
      streamId,
      events,
      writeContext(context, { occurredAt: new Date(occurredAt ?? Date.now()).toISOString() }),
      recorded.at(-1)?.streamRevision ?? 'no_stream',
      [],
      eventIdsFor(context.idempotencyScope, streamId),
    );
    return { eventId: envelopes[0]!.eventId };
  }
}
