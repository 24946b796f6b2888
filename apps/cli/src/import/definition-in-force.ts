/**
 * The funnel definition an import decides under: the one in force in the store's
 * `funnel-definitions` stream, folded with the dictionary's evolve as the API
 * folds it. On an empty (or legacy) store the dictionary's decider is asked to
 * ensure a definition is in force first — the same decision, by the same
 * bootstrap actor, that the API makes on its first start — so an import into a
 * fresh store and a later API start agree on version 1. It never publishes or
 * activates anything else.
 */
import { decodeStoredEvent } from '@tandem/contracts';
import {
  DEFINITIONS_STREAM,
  type DictionaryState,
  evolveDictionary,
  type FunnelDefinition,
  initialDictionaryState,
  versionInForce,
} from '@tandem/domain';
import { ensureDefinitionInForce, type EventStore } from '@tandem/event-store';

export interface DefinitionInForce {
  readonly version: number;
  readonly definition: FunnelDefinition;
}

interface Dictionary {
  readonly state: DictionaryState;
  readonly revision: bigint | null;
  readonly definitions: ReadonlyMap<number, FunnelDefinition>;
}

export async function definitionInForce(store: EventStore): Promise<DefinitionInForce> {
  const read = await readDictionary(store);
  let dictionary = read;
  if (await ensureDefinitionInForce(store, read.state, read.revision)) {
    dictionary = await readDictionary(store);
  }
  const inForce = versionInForce(dictionary.state);
  const definition = inForce === null ? undefined : dictionary.definitions.get(inForce.version);
  if (inForce === null || definition === undefined) {
    throw new Error(`${DEFINITIONS_STREAM} has no definition in force`);
  }
  return { version: inForce.version, definition };
}

async function readDictionary(store: EventStore): Promise<Dictionary> {
  let state = initialDictionaryState();
  const definitions = new Map<number, FunnelDefinition>();
  const records = await store.readStream(DEFINITIONS_STREAM);
  for (const record of records) {
    const decoded = decodeStoredEvent(record);
    if (!decoded.ok) {
      throw new Error(`undecodable definition event ${record.eventId}: ${decoded.reason}`);
    }
    const { envelope } = decoded;
    if (envelope.type === 'FunnelDefinitionPublished') {
      definitions.set(envelope.data.version, envelope.data.definition);
      state = evolveDictionary(state, envelope);
    } else if (envelope.type === 'FunnelDefinitionActivated') {
      state = evolveDictionary(state, envelope);
    }
  }
  return { state, revision: records.at(-1)?.streamRevision ?? null, definitions };
}
