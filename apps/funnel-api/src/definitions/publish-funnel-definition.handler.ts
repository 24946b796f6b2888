/**
 * Publishing a new version of the shared dictionary. The draft is validated in
 * full (each bad field named) and must carry the next version number; the append
 * insists on the stream revision that version was computed from.
 *
 * Publishing records a version; it does not put it in force. Live decisions keep
 * the active version until ActivateFunnelDefinition applies this one.
 */
import { Inject } from '@nestjs/common';
import { Command, CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import { encodeForStore } from '@tandem/contracts';
import {
  authorize,
  DEFINITIONS_STREAM,
  definitionHash,
  parseFunnelDefinition,
  RuleViolationError,
} from '@tandem/domain';
import type { EventStore } from '@tandem/event-store';
import { v7 as uuidv7 } from 'uuid';
import type { RequestContext } from '../http/request-context';
import { EVENT_STORE } from '../platform/tokens';
import { ActiveDefinition } from './active-definition.service';

export interface PublicationResult {
  readonly version: number;
  readonly definitionHash: string;
  readonly eventId: string;
  /** Global position of the published event, as a decimal string (64-bit). */
  readonly globalPosition: string;
  /** The version still in force: publishing does not change it. */
  readonly activeVersion: number | null;
}

export class PublishFunnelDefinition extends Command<PublicationResult> {
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

  async execute({ draft, context }: PublishFunnelDefinition): Promise<PublicationResult> {
    authorize(context.actor.role, 'PublishFunnelDefinition');
    const definition = parseFunnelDefinition(draft);
    const { revision, versions, active } = await this.definitions.refresh();
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
    const appended = await this.store.append(DEFINITIONS_STREAM, [event], {
      expectedRevision: revision ?? 'no_stream',
    });
    await this.definitions.refresh(); // listed at once, not after the live cache expires
    return {
      version: definition.version,
      definitionHash: definitionHash(definition),
      eventId,
      globalPosition: appended.lastGlobalPosition.toString(),
      activeVersion: active?.version ?? null,
    };
  }
}
