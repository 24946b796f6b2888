/**
 * Puts a funnel definition in force on a store that has none: asks the dictionary's decider
 * (EnsureDefinitionInForce) and appends what it decides, as the bootstrap actor. The API's
 * first start and `tandem import` into a fresh store make this one decision, so both agree on
 * version 1. A concurrent bootstrap (another process, an import) that wrote first wins: what
 * it wrote is in force. It never publishes or activates anything else.
 */
import {
  decideDictionary,
  DEFINITIONS_STREAM,
  defaultFunnelDefinition,
  type DictionaryState,
} from '@tandem/domain';
import { v7 as uuidv7 } from 'uuid';
import { WrongExpectedRevisionError } from './event-store.errors';
import type { EventStore } from './event-store.port';
import { writeEvents } from './tandem-event-writer';

const BOOTSTRAP_ACTOR = { kind: 'system', id: 'tandem-bootstrap', role: 'system' } as const;

/**
 * `state` and `revision`: the definitions stream as the caller just read it. True when the
 * stream had nothing in force, i.e. the caller must read it again (ours or a racer's events).
 */
export async function ensureDefinitionInForce(
  store: EventStore,
  state: DictionaryState,
  revision: bigint | null,
): Promise<boolean> {
  const events = decideDictionary(
    { type: 'EnsureDefinitionInForce', data: { shippedDefault: defaultFunnelDefinition } },
    state,
  );
  if (events.length === 0) return false;
  const context = {
    leadId: null,
    accountId: null,
    occurredAt: new Date().toISOString(),
    correlationId: uuidv7(),
    causationId: null,
    actor: BOOTSTRAP_ACTOR,
  };
  try {
    await writeEvents(store, DEFINITIONS_STREAM, events, context, revision ?? 'no_stream');
  } catch (error) {
    if (!(error instanceof WrongExpectedRevisionError)) throw error;
  }
  return true;
}
