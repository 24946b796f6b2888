/**
 * Publishing a new version of the shared dictionary. The draft is validated in
 * full (each bad field named) and must carry the next version number; the append
 * insists on the stream revision that version was computed from.
 */
import { Inject } from '@nestjs/common';
import { Command, CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import { encodeForStore } from '@tandem/contracts';
import {
  authorize,
  DEFINITIONS_STREAM,
  parseFunnelDefinition,
  RuleViolationError,
} from '@tandem/domain';
import type { EventStore } from '@tandem/event-store';
import { v7 as uuidv7 } from 'uuid';
import type { RequestContext } from '../http/request-context';
import { EVENT_STORE } from '../platform/tokens';
import { ActiveDefinition } from './active-definition.service';

export class PublishFunnelDefinition extends Command<{ version: number; eventId: string }> {
  constructor(
    readonly draft: unknown,
    readonly context: RequestContext,
  ) {
    super();
  }
}

@CommandHandler(PublishFunnelDefinition)
export class PublishFunnelDefinitionHandler implements ICommandHandler<PublishFunnelDefinition> {
  constructor(
    @Inject(EVENT_STORE) private readonly store: EventStore,
    private readonly definitions: ActiveDefinition,
  ) {}

  async execute({ draft, context }: PublishFunnelDefinition) {
    authorize(context.actor.role, 'PublishFunnelDefinition');
    const definition = parseFunnelDefinition(draft);
    const { revision, versions } = await this.definitions.refresh();
    const next = (versions.at(-1)?.version ?? 0) + 1;
    if (definition.version !== next) {
      throw new RuleViolationError(`version must be ${next}, the next after the newest published`);
    }
    const eventId = uuidv7();
    const event = encodeForStore(
      { type: 'FunnelDefinitionPublished', data: { version: definition.version, definition } },
      {
        eventId,
        leadId: null,
        accountId: null,
        occurredAt: new Date().toISOString(),
        correlationId: context.correlationId,
        causationId: context.causationId,
        actor: context.actor,
      },
    );
    await this.store.append(DEFINITIONS_STREAM, [event], {
      expectedRevision: revision ?? 'no_stream',
    });
    await this.definitions.refresh(); // in force here at once, not after the live cache expires
    return { version: definition.version, eventId };
  }
}
