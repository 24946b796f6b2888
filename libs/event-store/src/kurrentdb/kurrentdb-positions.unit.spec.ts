import { START, type Position } from '@kurrent/kurrentdb-client';
import {
  MAX_GLOBAL_POSITION,
  UnrepresentablePositionError,
  comparePositions,
  isAfter,
  toCommitPosition,
  toGlobalPosition,
  toPosition,
  toReadPosition,
} from './kurrentdb-positions';

const U64_MAX = 2n ** 64n - 1n;

/** How $all reports an event written by a gRPC append (one committed prepare per event). */
function committedPrepare(logPosition: bigint): Position {
  return { commit: logPosition, prepare: logPosition };
}

/**
 * A slice of $all as a v20+ server lays it out: the records' log positions are byte
 * offsets, so they are far apart and not consecutive.
 * - a single-event append at 1_000;
 * - a three-event append (records at 1_150, 1_322, 1_490; the append result reports the last);
 * - a legacy explicit transaction (prepares at 1_700 and 1_810, commit record at 1_950):
 *   both events are reported at commit 1_950 with their own prepare positions;
 * - a single-event append after it at 2_100.
 */
const log: ReadonlyArray<{ readonly id: string; readonly position: Position }> = [
  { id: 'single', position: committedPrepare(1_000n) },
  { id: 'batch-0', position: committedPrepare(1_150n) },
  { id: 'batch-1', position: committedPrepare(1_322n) },
  { id: 'batch-2', position: committedPrepare(1_490n) },
  { id: 'legacy-0', position: { commit: 1_950n, prepare: 1_700n } },
  { id: 'legacy-1', position: { commit: 1_950n, prepare: 1_810n } },
  { id: 'after', position: committedPrepare(2_100n) },
];
const representable = log.filter((record) => !record.id.startsWith('legacy'));

/** A forward read of the log from `from`, inclusive, as the server does it. */
function readForwards(from: Position | null): string[] {
  return log
    .filter((record) => from === null || comparePositions(record.position, from) >= 0)
    .map((record) => record.id);
}

describe('KurrentDB positions', () => {
  describe('toGlobalPosition', () => {
    it('is the commit position of a single-event append', () => {
      expect(toGlobalPosition(committedPrepare(1_000n), 'e')).toBe(1_000n);
    });

    it('gives each event of a multi-event append its own, strictly increasing position', () => {
      const batch = representable.filter((record) => record.id.startsWith('batch'));
      const positions = batch.map((record) => toGlobalPosition(record.position, record.id));
      expect(positions).toEqual([1_150n, 1_322n, 1_490n]);
      // The append result is reported at the last event's record: the same bigint.
      expect(toGlobalPosition(committedPrepare(1_490n), 'append to s')).toBe(positions[2]);
    });

    it('grows strictly along $all for every event a gRPC append wrote', () => {
      const positions = representable.map((record) => toGlobalPosition(record.position, record.id));
      positions.forEach((position, i) => {
        if (i > 0) expect(position).toBeGreaterThan(positions[i - 1]!);
      });
      expect(new Set(positions).size).toBe(positions.length);
    });

    it('refuses events of explicit transactions, whose commit positions are shared', () => {
      for (const record of log.filter((r) => r.id.startsWith('legacy'))) {
        expect(() => toGlobalPosition(record.position, record.id)).toThrow(
          UnrepresentablePositionError,
        );
      }
      expect(() => toGlobalPosition(log[4]!.position, 'legacy-0')).toThrow(
        /legacy-0: written in an explicit transaction \(commit 1950 != prepare 1700\)/,
      );
    });

    it('refuses a missing position and the "unknown" sentinel older servers send', () => {
      expect(() => toGlobalPosition(undefined, 'lead-1@0')).toThrow(
        /lead-1@0: .*no \$all position/,
      );
      expect(() => toGlobalPosition({ commit: U64_MAX, prepare: U64_MAX }, 'e')).toThrow(
        UnrepresentablePositionError,
      );
      expect(() => toGlobalPosition({ commit: -1n, prepare: -1n }, 'e')).toThrow(
        UnrepresentablePositionError,
      );
    });

    it('accepts the whole signed 64-bit range, and the start of the log', () => {
      expect(toGlobalPosition(committedPrepare(0n), 'e')).toBe(0n);
      expect(toGlobalPosition(committedPrepare(MAX_GLOBAL_POSITION), 'e')).toBe(
        MAX_GLOBAL_POSITION,
      );
      expect(() => toGlobalPosition(committedPrepare(MAX_GLOBAL_POSITION + 1n), 'e')).toThrow(
        UnrepresentablePositionError,
      );
    });
  });

  describe('toCommitPosition', () => {
    it('takes the commit position of any event, also one of an explicit transaction', () => {
      expect(toCommitPosition({ commit: 1_950n, prepare: 1_700n }, 'head')).toBe(1_950n);
      expect(() => toCommitPosition({ commit: U64_MAX, prepare: 0n }, 'head')).toThrow(
        UnrepresentablePositionError,
      );
    });
  });

  describe('resuming from a port position', () => {
    it('starts at the beginning of $all for null', () => {
      expect(toReadPosition(null)).toBe(START);
    });

    it('rebuilds {commit, prepare} from the bigint alone', () => {
      expect(toReadPosition(1_322n)).toEqual({ commit: 1_322n, prepare: 1_322n });
      expect(toPosition(0n)).toEqual({ commit: 0n, prepare: 0n });
    });

    it('refuses positions that cannot come from the store', () => {
      expect(() => toReadPosition(-1n)).toThrow(RangeError);
      expect(() => toPosition(MAX_GLOBAL_POSITION + 1n)).toThrow(RangeError);
    });

    it('reads strictly after every delivered position, across a multi-event append', () => {
      for (const [index, record] of representable.entries()) {
        const after = toGlobalPosition(record.position, record.id);
        const from = toReadPosition(after) as Position;
        // The server includes the event at `from` itself …
        expect(readForwards(from)[0]).toBe(record.id);
        // … so the adapter keeps only what is after it, which is exactly the rest.
        const rest = log
          .filter((candidate) => isAfter(candidate.position, from))
          .map((candidate) => candidate.id);
        expect(rest).toEqual(log.slice(log.indexOf(record) + 1).map((candidate) => candidate.id));
        expect(rest).not.toContain(representable[index]!.id);
      }
    });

    it('skips a whole explicit transaction when resuming from its commit position', () => {
      const from = toReadPosition(1_950n) as Position;
      const rest = log.filter((record) => isAfter(record.position, from)).map((r) => r.id);
      expect(rest).toEqual(['after']);
    });
  });

  describe('comparePositions and isAfter', () => {
    it('orders by commit position, then by prepare position', () => {
      expect(comparePositions(committedPrepare(5n), committedPrepare(7n))).toBeLessThan(0);
      expect(comparePositions(committedPrepare(7n), committedPrepare(5n))).toBeGreaterThan(0);
      expect(comparePositions(log[4]!.position, log[5]!.position)).toBeLessThan(0);
      expect(comparePositions(log[5]!.position, log[5]!.position)).toBe(0);
    });

    it('treats null as "before everything"', () => {
      expect(isAfter(committedPrepare(0n), null)).toBe(true);
      expect(isAfter(committedPrepare(0n), committedPrepare(0n))).toBe(false);
    });

    it('lists $all in the order the server reads it', () => {
      const sorted = [...log].sort((a, b) => comparePositions(a.position, b.position));
      expect(sorted.map((record) => record.id)).toEqual(log.map((record) => record.id));
      expect(readForwards(null)).toEqual(log.map((record) => record.id));
    });
  });
});
