/**
 * The embedded projection's dead letters (projection_dead_letters), written and read in one
 * place: events of the store's log set aside because no retry would ever project them (they
 * failed decoding, or broke the projection's contract), each with its position, type and why.
 * Server mode sends the same cases to its Kafka DLQ topic instead.
 *
 * Written before the checkpoint that passes them (LogProjection), so an event is always either
 * projected, dead-lettered, or still ahead of the checkpoint. It must never store an event's
 * payload: it may carry personal data, and the store keeps the event anyway.
 */
import type { ClickHouseClient } from '@clickhouse/client';
import {
  analyticsDatabase,
  analyticsTables,
  qualifiedTable,
  type AnalyticsDatabaseOptions,
} from '../clickhouse/analytics.database';
import { isValidGlobalPosition, type AnyEnvelope } from './lead-event.row';

export interface DeadLetter {
  readonly eventId: string;
  /** Decimal string: the event's global position in the store's log. */
  readonly position: string;
  readonly type: string;
  readonly reason: string;
}

export interface DeadLetterSummary {
  /** Distinct events set aside since the tables were last emptied (a rebuild). */
  readonly count: number;
  /** The latest few, newest position first: enough to see what went wrong. */
  readonly latest: readonly DeadLetter[];
}

/** Idempotent: writing the same event again (after a crash, a retry) keeps one row. */
export async function writeDeadLetters(
  client: ClickHouseClient,
  letters: readonly DeadLetter[],
  options: AnalyticsDatabaseOptions = {},
): Promise<void> {
  if (letters.length === 0) return;
  await client.insert({
    table: qualifiedTable(analyticsDatabase(options), analyticsTables.projectionDeadLetters),
    values: letters.map((letter) => ({
      global_position: letter.position,
      event_id: letter.eventId,
      event_type: letter.type,
      reason: letter.reason,
    })),
    format: 'JSONEachRow',
  });
}

/**
 * The dead letters of events a projection step refused after decoding (`invalid`, by event id),
 * with the position and type their envelopes carry.
 */
export function deadLettersOf(
  invalid: readonly { readonly eventId: string; readonly reason: string }[],
  envelopes: readonly AnyEnvelope[],
): DeadLetter[] {
  if (invalid.length === 0) return [];
  const byId = new Map(envelopes.map((envelope) => [envelope.eventId, envelope]));
  return invalid.map(({ eventId, reason }) => {
    const envelope = byId.get(eventId);
    const position = envelope?.globalPosition;
    return {
      eventId,
      // An envelope whose own position is broken is refused for that; 0 keeps it visible.
      position: position !== undefined && isValidGlobalPosition(position) ? position : '0',
      type: envelope?.type ?? 'unknown',
      reason,
    };
  });
}

/** How many events are set aside, and the latest few with their reasons (for /health). */
export async function readDeadLetters(
  client: ClickHouseClient,
  options: AnalyticsDatabaseOptions & { readonly latest?: number } = {},
): Promise<DeadLetterSummary> {
  const result = await client.query({
    query: `
      SELECT
        toString(global_position) AS position, event_id, toString(event_type) AS type, reason,
        count() OVER () AS total
      FROM {db:Identifier}.{table:Identifier} FINAL
      ORDER BY global_position DESC, event_id
      LIMIT {latest:UInt32}`,
    query_params: {
      db: analyticsDatabase(options),
      table: analyticsTables.projectionDeadLetters,
      latest: options.latest ?? 5,
    },
    format: 'JSONEachRow',
  });
  const rows = await result.json<{
    position: string;
    event_id: string;
    type: string;
    reason: string;
    total: string | number;
  }>();
  return {
    count: Number(rows[0]?.total ?? 0),
    latest: rows.map(({ event_id, position, type, reason }) => ({
      eventId: event_id,
      position,
      type,
      reason,
    })),
  };
}
