/**
 * How publishing and activation append to the shared dictionary (the first start's bootstrap
 * is ensureDefinitionInForce's): what the dictionary's decider decided, at the stream revision
 * it decided from (a concurrent publish or activation is a conflict, never a silent
 * overwrite), then a re-read, so the change is in force in this process at once rather than
 * after the live cache expires.
 *
 * It decides nothing: the events come from decideDictionary.
 */
import { decideDictionary, DEFINITIONS_STREAM } from '@tandem/domain';
import { type EventStore, writeEvents } from '@tandem/event-store';
import { eventIdsFor } from '../http/idempotency/key-derived-ids';
import type { RequestContext } from '../http/request-context';
import { writeContext } from '../platform/write-context';
import type { ActiveDefinition } from './active-definition.service';

export async function writeDictionaryEvents(
  store: EventStore,
  definitions: ActiveDefinition,
  events: ReturnType<typeof decideDictionary>,
  context: RequestContext,
  revision: bigint | null,
) {
  const written = await writeEvents(
    store,
    DEFINITIONS_STREAM,
    events,
    writeContext(context, { occurredAt: new Date().toISOString() }),
    revision ?? 'no_stream',
    [],
    // Under an Idempotency-Key the ids derive from it: an activation retried after the key
    // expired, with another version activated since, is refused rather than rolling back.
    eventIdsFor(context.idempotencyScope, DEFINITIONS_STREAM),
  );
  await definitions.refresh();
  return written;
}
