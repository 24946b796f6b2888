/**
 * The embedded projection's dead letters (projection_dead_letters), written and read in one
 * place: events of the store's log set aside because no retry would ever project them (they
 * failed decoding, or broke the projection's contract), each with its position, type and why.
 * Server mode's Kafka projector sends the same cases to its DLQ topic and records them here
 * too (a message that is no event at position 0), so its count survives a restart.
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

/** How many of the latest letters a summary carries (/health shows them). */
export const LATEST_DEAD_LETTERS = 5;

/**
 * The dead letters as the projector holds them in memory, so that /health answers without a
 * query: a catch-up's statements keep chDB busy for seconds, and a probe must not wait behind
 * them. Derived from the table on start (`readDeadLetterLedger`), then told of each letter once
 * the checkpoint has passed it (`add`), and emptied with the tables by a rebuild.
 *
 * Letters the table already holds beyond the events checkpoint (written before a crash, their
 * checkpoint not) are set aside again by the resumed projection: `pending` makes them count
 * once, as the table's FINAL does. Holds the ids of those and the latest few, never all.
 */
export class DeadLetterLedger {
  private count: number;
  private latest: readonly DeadLetter[];
  private readonly pending: Set<string>;

  constructor(known: DeadLetterSummary = { count: 0, latest: [] }, pending: Iterable<string> = []) {
    this.count = known.count;
    this.latest = known.latest.slice(0, LATEST_DEAD_LETTERS);
    this.pending = new Set(pending);
  }

  /** Letters the checkpoint has just passed; a letter the table already counted counts once. */
  add(letters: readonly DeadLetter[]): void {
    if (letters.length === 0) return;
    for (const letter of letters) {
      if (!this.pending.delete(ledgerKey(letter))) this.count++;
    }
    const byKey = new Map(
      [...this.latest, ...letters].map((letter) => [ledgerKey(letter), letter]),
    );
    this.latest = [...byKey.values()].sort(newestFirst).slice(0, LATEST_DEAD_LETTERS);
  }

  summary(): DeadLetterSummary {
    return { count: this.count, latest: this.latest };
  }
}

/** The table's key (ReplacingMergeTree ORDER BY global_position, event_id). */
const ledgerKey = (letter: Pick<DeadLetter, 'position' | 'eventId'>) =>
  `${letter.position}/${letter.eventId}`;

/** As readDeadLetters orders them: newest position first, then event id. */
function newestFirst(a: DeadLetter, b: DeadLetter): number {
  const [pa, pb] = [BigInt(a.position), BigInt(b.position)];
  if (pa !== pb) return pa > pb ? -1 : 1;
  return a.eventId < b.eventId ? -1 : a.eventId > b.eventId ? 1 : 0;
}

/**
 * The ledger as the table holds it, for a projector about to resume after `eventsCheckpoint`
 * (null: from the start): the count and latest few, and the letters it will set aside again —
 * those beyond the checkpoint, and those at position 0 (an envelope whose own position was
 * broken), which a position cannot place.
 */
export async function readDeadLetterLedger(
  client: ClickHouseClient,
  eventsCheckpoint: string | null,
  options: AnalyticsDatabaseOptions = {},
): Promise<DeadLetterLedger> {
  const known = await readDeadLetters(client, { ...options, latest: LATEST_DEAD_LETTERS });
  if (known.count === 0) return new DeadLetterLedger(known);
  const result = await client.query({
    query: `
      SELECT DISTINCT toString(global_position) AS position, event_id
      FROM {db:Identifier}.{table:Identifier} FINAL
      WHERE global_position > {after:UInt64} OR global_position = 0`,
    query_params: {
      db: analyticsDatabase(options),
      table: analyticsTables.projectionDeadLetters,
      after: eventsCheckpoint ?? '0',
    },
    format: 'JSONEachRow',
  });
  const beyond = await result.json<{ position: string; event_id: string }>();
  return new DeadLetterLedger(
    known,
    beyond.map(({ position, event_id }) => ledgerKey({ position, eventId: event_id })),
  );
}
