/**
 * Applying a published version of the shared dictionary: from this event on it
 * is the one in force for live decisions. Only a published version can be
 * activated; activating the version already in force is a no-op that answers
 * with its existing activation. The append insists on the stream revision the
 * decision was made from, so a concurrent publish or activation is a conflict,
 * never a silent overwrite.
 */
import { Inject } from '@nestjs/common';
import { Command, CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import { encodeForStore } from '@tandem/contracts';
import { authorize, DEFINITIONS_STREAM, DefinitionVersionNotFoundError } from '@tandem/domain';
import type { EventStore } from '@tandem/event-store';
import { v7 as uuidv7 } from 'uuid';
import type { RequestContext } from '../http/request-context';
import { EVENT_STORE } from '../platform/tokens';
import { ActiveDefinition } from './active-definition.service';

export interface ActivationResult {
  readonly version: number;
  readonly definitionHash: string;
  readonly previousVersion: number | null;
  readonly eventId: string;
  /** Global position of the activation event, as a decimal string (64-bit). */
  readonly globalPosition: string;
}

export class ActivateFunnelDefinition extends Command<ActivationResult> {
  constructor(
    readonly version: number,
    readonly context: RequestContext,
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

  async execute({ version, context }: ActivateFunnelDefinition): Promise<ActivationResult> {
    authorize(context.actor.role, 'ActivateFunnelDefinition');
    const { revision, versions, activation, active } = await this.definitions.refresh();
    const target = versions.find((entry) => entry.version === version);
    if (target === undefined) throw new DefinitionVersionNotFoundError(version);
    if (activation?.version === version) {
      return {
        version,
        definitionHash: activation.definitionHash,
        previousVersion: activation.previousVersion,
        eventId: activation.eventId,
        globalPosition: activation.globalPosition.toString(),
      };
    }
    const data = {
      version,
      definitionHash: target.definitionHash,
      previousVersion: active?.version ?? null,
    };
    const eventId = uuidv7();
    const event = encodeForStore(
      { type: 'FunnelDefinitionActivated', data },
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
    await this.definitions.refresh(); // in force here at once, not after the live cache expires
    return { ...data, eventId, globalPosition: appended.lastGlobalPosition.toString() };
  }
}
