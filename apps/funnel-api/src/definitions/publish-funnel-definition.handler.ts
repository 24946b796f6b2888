/**
 * Publishing a new version of the shared dictionary: the dictionary's decider
 * validates the draft in full (each bad field named) and insists on the next version
 * number; the append insists on the stream revision that decision was made from.
 *
 * Publishing records a version; it does not put it in force. Live decisions keep
 * the active version until ActivateFunnelDefinition applies this one.
 *
 * A publish or an activation appended between the read and the append is a conflict of
 * revisions, not of definitions: the draft is decided again on the stream as it now is, so
 * two publishes of one version at once answer 201 and 422 naming the version (this very
 * definition, or the next number), and a publish crossing an activation is recorded. It never
 * overwrites: each decision insists on the revision it was made from.
 */
import { Inject } from '@nestjs/common';
import { Command, CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import { authorize, decideDictionary, definitionHash } from '@tandem/domain';
import type { EventStore } from '@tandem/event-store';
import type { RequestContext } from '../http/request-context';
import { EVENT_STORE } from '../platform/tokens';
import { decideAgainOnConflict } from '../platform/decide-again';
import { ActiveDefinition } from './active-definition.service';
import { writeDictionaryEvents } from './dictionary-events.writer';

export interface PublicationResult {
  readonly version: number;
  readonly definitionHash: string;
  readonly eventId: string;
  /** Global position of the published event, as a decimal string (64-bit). */
  readonly globalPosition: string;
  /** The version still in force: publishing does not change it. */
  readonly activeVersion: number | null;
}

/** Decisions of one publish, each on the stream as the previous one's append found it. */
const PUBLISH_ATTEMPTS = 3;

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
    return decideAgainOnConflict(PUBLISH_ATTEMPTS, () => this.publishOnce(draft, context));
  }

  private async publishOnce(draft: unknown, context: RequestContext): Promise<PublicationResult> {
    const { revision, state, active } = await this.definitions.refresh();
    const events = decideDictionary({ type: 'PublishFunnelDefinition', data: { draft } }, state);
    const { appended, envelopes } = await writeDictionaryEvents(
      this.store,
      this.definitions,
      events,
      context,
      revision,
    );
    const [published] = events;
    if (published?.type !== 'FunnelDefinitionPublished')
      throw new Error('publish decided no event');
    return {
      version: published.data.version,
      definitionHash: definitionHash(published.data.definition),
      eventId: envelopes[0]!.eventId,
      globalPosition: appended.lastGlobalPosition.toString(),
      activeVersion: active?.version ?? null,
    };
  }
}
