/**
 * Applying a published version of the shared dictionary: from this event on it
 * is the one in force for live decisions. The dictionary's decider allows only a
 * published version and treats the version already activated as a no-op (answered
 * with its existing activation). With `expectedActiveVersion` it activates only
 * while that version is in force, with `expectedActivationId` only while that very
 * activation is (a late retry is refused, not a roll-back). The
 * append insists on the stream revision the decision was made from, so a concurrent
 * publish or activation is a conflict, never a silent overwrite.
 */
import { Inject } from '@nestjs/common';
import { Command, CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import { authorize, decideDictionary } from '@tandem/domain';
import type { EventStore } from '@tandem/event-store';
import type { RequestContext } from '../http/request-context';
import { EVENT_STORE } from '../platform/tokens';
import { ActiveDefinition } from './active-definition.service';
import { writeDictionaryEvents } from './dictionary-events.writer';

export interface ActivationResult {
  readonly version: number;
  readonly definitionHash: string;
  readonly previousVersion: number | null;
  readonly eventId: string;
  /** Global position of the activation event, as a decimal string (64-bit). */
  readonly globalPosition: string;
}

/** What an activation may insist on finding in force; the decider checks each given. */
export interface ActivationPreconditions {
  /** This version (ActiveVersionChangedError otherwise). */
  readonly expectedActiveVersion?: number | undefined;
  /** This activation, by its event id (ActivationChangedError otherwise). */
  readonly expectedActivationId?: string | undefined;
}

export class ActivateFunnelDefinition extends Command<ActivationResult> {
  constructor(
    readonly version: number,
    readonly context: RequestContext,
    readonly preconditions: ActivationPreconditions = {},
  ) {
    super();
  }
}

@CommandHandler(ActivateFunnelDefinition)
export class ActivateFunnelDefinitionHandler implements ICommandHandler<ActivateFunnelDefinition> {
  constructor(
    @Inject(EVENT_STORE) private readonly store: EventStore,
    private readonly definitions: ActiveDefinition,
  ) {}

  async execute({
    version,
    context,
    preconditions,
  }: ActivateFunnelDefinition): Promise<ActivationResult> {
    authorize(context.actor.role, 'ActivateFunnelDefinition');
    const { revision, state, activation } = await this.definitions.refresh();
    const events = decideDictionary(
      { type: 'ActivateFunnelDefinition', data: { version, ...preconditions } },
      state,
    );
    const [activated] = events;
    if (activated?.type !== 'FunnelDefinitionActivated') {
      // Already the activated version: answer with that activation, append nothing.
      if (activation === null) throw new Error(`v${version} decided as active without activation`);
      return {
        version,
        definitionHash: activation.definitionHash,
        previousVersion: activation.previousVersion,
        eventId: activation.eventId,
        globalPosition: activation.globalPosition.toString(),
      };
    }
    const { appended, envelopes } = await writeDictionaryEvents(
      this.store,
      this.definitions,
      events,
      context,
      revision,
    );
    return {
      ...activated.data,
      eventId: envelopes[0]!.eventId,
      globalPosition: appended.lastGlobalPosition.toString(),
    };
  }
}
