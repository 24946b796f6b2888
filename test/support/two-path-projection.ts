/**
 * The two ways a log reaches ClickHouse, for the suites that hold them to the same rows: the
 * per-event TypeScript path (decode, then projectBatch, as LogProjection runs it while
 * catching up) and the dumps that compare one database with another byte for byte. Also the
 * dictionary's first two events, which every such log starts with.
 */
import type { ClickHouseClient } from '@clickhouse/client';
import { type AnyEnvelope, projectBatch } from '@tandem/analytics';
import { decodeStoredEvent, encodeForStore, type TandemEvent } from '@tandem/contracts';
import { DEFINITIONS_STREAM, defaultFunnelDefinition, definitionHash } from '@tandem/domain';
import type { EventStore, EventToAppend } from '@tandem/event-store';

/** Who records the suites' hand-made edge cases. */
export const edgeActor = { kind: 'user', id: 'ana@example.com', role: 'marketing' } as const;

let edgeSequence = 0;
/** The next number for a hand-made event's id and correlation id (one counter per suite file). */
export function nextEdgeSequence(): number {
  edgeSequence += 1;
  return edgeSequence;
}

/**
 * A capture with UTM content: plain as LeadCaptured v1 recorded it (lifted to v2 on read), or
 * sealed as v2 records it. Both must be projected exactly like a capture without content.
 */
export function withUtmContent(capture: TandemEvent, content: unknown): TandemEvent {
  if (capture.type !== 'LeadCaptured') return capture;
  const source = { ...capture.data.source, content };
  return { ...capture, data: { ...capture.data, source } } as TandemEvent;
}

/** A sealed value's shape (`v1:` and base64), as the fast path's check must take it. */
export const SEALED_CONTENT = { $pii: `v1:${Buffer.alloc(40, 7).toString('base64')}` };

/** A lead event enveloped as the API would, with an id that sorts after the generator's. */
export function edgeLeadEvent(
  leadId: string,
  event: TandemEvent,
  occurredAt: string,
): EventToAppend {
  const sequence = nextEdgeSequence();
  return encodeForStore(event, {
    eventId: `ffffffff-0000-7000-8000-${sequence.toString(16).padStart(12, '0')}`,
    leadId,
    accountId: null,
    occurredAt,
    correlationId: `edge-${sequence}`,
    causationId: null,
    actor: edgeActor,
  });
}

/** Publishes and activates the shipped definition as version 1: the views need rules. */
export async function publishDefaultDefinition(
  store: EventStore,
  meta: (n: 1 | 2) => Parameters<typeof encodeForStore>[1],
): Promise<void> {
  await store.append(
    DEFINITIONS_STREAM,
    [
      encodeForStore(
        {
          type: 'FunnelDefinitionPublished',
          data: { version: 1, definition: defaultFunnelDefinition },
        },
        meta(1),
      ),
      encodeForStore(
        {
          type: 'FunnelDefinitionActivated',
          data: {
            version: 1,
            definitionHash: definitionHash(defaultFunnelDefinition),
            previousVersion: null,
          },
        },
        meta(2),
      ),
    ],
    { expectedRevision: 'no_stream' },
  );
}

/**
 * Projects the whole log into `database` the per-event way, 700 events a batch, rule facts
 * deferred; returns the ids of the events refused (by the decoder or by projectBatch).
 */
export async function projectPerEvent(
  client: ClickHouseClient,
  store: EventStore,
  database: string,
): Promise<Set<string>> {
  const refused = new Set<string>();
  for (let after: bigint | null = null; ;) {
    const batch = await store.readAll({ after, maxCount: 700 });
    if (batch.length === 0) break;
    const envelopes: AnyEnvelope[] = [];
    for (const record of batch) {
      const decoded = decodeStoredEvent(record);
      if (decoded.ok) envelopes.push(decoded.envelope);
      else refused.add(record.eventId);
    }
    const outcome = await projectBatch(client, envelopes, { database, ruleFacts: 'deferred' });
    for (const invalid of outcome.invalid) refused.add(invalid.eventId);
    after = batch.at(-1)!.globalPosition;
  }
  return refused;
}

/** Every row of `table` in `database`, merged (FINAL), in `order`, as JSON lines to compare. */
export async function dumpTable(
  client: ClickHouseClient,
  database: string,
  table: string,
  order: string,
): Promise<string> {
  // A set's heartbeat and revision say when it was written, not what: they differ by design.
  const except = table === 'rule_sets' ? ' EXCEPT (heartbeat_at, revision)' : '';
  const result = await client.query({
    query: `SELECT *${except} FROM {db:Identifier}.{table:Identifier} FINAL ORDER BY ${order}`,
    query_params: { db: database, table },
    format: 'JSONEachRow',
  });
  return result.text();
}
