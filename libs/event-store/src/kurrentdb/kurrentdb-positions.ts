/**
 * Translates KurrentDB's $all positions ({commit, prepare}: byte offsets in the
 * transaction log) to the port's single bigint `globalPosition`, and back.
 *
 * Why the commit position alone is enough (ADR 0003): since EventStoreDB 20 every
 * append — one event or many — is written as one "committed prepare" record per
 * event (no separate commit record), and $all reports such an event at
 * {commit: its own log position, prepare: the same}. So commit == prepare, it is
 * unique per event, and it grows strictly in $all order. The append result carries
 * the position of the batch's last event, again with commit == prepare. Only events
 * written in explicit transactions (legacy TCP client API; gRPC has none) share one
 * commit position with different prepare positions; one bigint cannot tell those
 * apart, so they are refused rather than given duplicate positions.
 *
 * Resuming needs both halves: we rebuild {commit: p, prepare: p} from p instead of
 * keeping a mapping, because a follower's checkpoint outlives any in-memory map.
 * KurrentDB reads forwards *inclusively* from a position, so "strictly after p"
 * means "from {p, p}, minus what is not after it" (`isAfter`).
 *
 * It must never invent a position: an absent, sentinel or ambiguous one is an error.
 */
import { START, type Position, type ReadPosition } from '@kurrent/kurrentdb-client';
import { EventStoreError } from '../event-store.errors';

/**
 * Largest position the port can carry: the server's log positions are signed 64-bit,
 * and the PostgreSQL adapters and checkpoints store int8. Anything above it (u64::MAX
 * is what older servers send when they do not know a stream event's $all position)
 * is not a real position.
 */
export const MAX_GLOBAL_POSITION = 2n ** 63n - 1n;

/** A KurrentDB position that the port's single bigint cannot represent faithfully. */
export class UnrepresentablePositionError extends EventStoreError {}

/**
 * The port's global position of a Tandem event. `what` names the event for the
 * error message (stream and revision, or "append to <stream>").
 */
export function toGlobalPosition(position: Position | undefined, what: string): bigint {
  if (position === undefined) {
    throw new UnrepresentablePositionError(
      `${what}: KurrentDB reported no $all position (KurrentDB/EventStoreDB 22.6 or later reports it on every read and append)`,
    );
  }
  const { commit, prepare } = position;
  if (!isLogPosition(commit) || !isLogPosition(prepare)) {
    throw new UnrepresentablePositionError(
      `${what}: KurrentDB reported no usable $all position (commit ${commit.toString()}, prepare ${prepare.toString()})`,
    );
  }
  if (commit !== prepare) {
    throw new UnrepresentablePositionError(
      `${what}: written in an explicit transaction (commit ${commit.toString()} != prepare ${prepare.toString()}); ` +
        'such events share a commit position, which the port cannot order',
    );
  }
  return commit;
}

/**
 * The commit position of any event on $all, ours or not. Commit positions never
 * decrease along $all, so this is a safe "everything up to here" marker (headPosition)
 * even for a foreign event from an explicit transaction.
 */
export function toCommitPosition(position: Position, what: string): bigint {
  if (!isLogPosition(position.commit)) {
    throw new UnrepresentablePositionError(
      `${what}: KurrentDB reported no usable commit position (${position.commit.toString()})`,
    );
  }
  return position.commit;
}

/** Where a forward read of "strictly after `after`" starts (inclusively, see `isAfter`). */
export function toReadPosition(after: bigint | null): ReadPosition {
  if (after === null) return START;
  return toPosition(after);
}

/** The full KurrentDB position of a port position; valid because commit == prepare (header). */
export function toPosition(globalPosition: bigint): Position {
  if (!isLogPosition(globalPosition)) {
    throw new RangeError(
      `global position ${globalPosition.toString()} is outside 0..${MAX_GLOBAL_POSITION.toString()}`,
    );
  }
  return { commit: globalPosition, prepare: globalPosition };
}

/** $all order: by commit position, then by prepare position (only differs inside transactions). */
export function comparePositions(a: Position, b: Position): number {
  if (a.commit !== b.commit) return a.commit < b.commit ? -1 : 1;
  if (a.prepare !== b.prepare) return a.prepare < b.prepare ? -1 : 1;
  return 0;
}

/** Whether `position` comes strictly after `after` (`null`: the start, so always). */
export function isAfter(position: Position, after: Position | null): boolean {
  return after === null || comparePositions(position, after) > 0;
}

function isLogPosition(value: bigint): boolean {
  return value >= 0n && value <= MAX_GLOBAL_POSITION;
}
