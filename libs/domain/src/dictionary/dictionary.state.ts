/**
 * What the dictionary's decider needs to know about the `funnel-definitions` stream,
 * folded from its events: which versions exist (with their content hash) and which one
 * is in force. Presentation details (who published, when, the full content for listing)
 * belong to the API's read model, not here.
 */
import type {
  FunnelDefinitionActivated,
  FunnelDefinitionPublished,
} from '../planning/planning.events';
import { definitionHash } from '../rules/definition-hash';

export type DictionaryEvent = FunnelDefinitionPublished | FunnelDefinitionActivated;
/** As the stream records it: the event and, when read from the store, its id. */
export type RecordedDictionaryEvent = DictionaryEvent & { readonly eventId?: string };

export interface VersionRef {
  readonly version: number;
  readonly definitionHash: string;
}

export interface DictionaryState {
  /** Published versions in publication order (1, 2, 3, ...). */
  readonly published: readonly VersionRef[];
  /** The latest activation; null on an empty or legacy stream. */
  readonly activated: VersionRef | null;
  /**
   * The event id of that activation: names one activation, where a version may be activated,
   * replaced and activated again (A → B → A). Null when none, or folded from bare events.
   */
  readonly activationId: string | null;
}

export const initialDictionaryState = (): DictionaryState => ({
  published: [],
  activated: null,
  activationId: null,
});

export function evolveDictionary(
  state: DictionaryState,
  event: RecordedDictionaryEvent,
): DictionaryState {
  switch (event.type) {
    case 'FunnelDefinitionPublished':
      return {
        ...state,
        published: [
          ...state.published,
          { version: event.data.version, definitionHash: definitionHash(event.data.definition) },
        ],
      };
    case 'FunnelDefinitionActivated':
      return {
        ...state,
        activated: { version: event.data.version, definitionHash: event.data.definitionHash },
        activationId: event.eventId ?? null,
      };
  }
}

/**
 * The version in force: the latest activation, or — on a legacy stream with versions
 * but no activation yet — the newest published one.
 */
export function versionInForce(state: DictionaryState): VersionRef | null {
  return state.activated ?? state.published.at(-1) ?? null;
}
