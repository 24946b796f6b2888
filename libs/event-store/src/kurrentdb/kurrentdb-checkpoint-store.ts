/**
 * Followers' checkpoints kept in KurrentDB itself: one stream per name,
 * `tandem-checkpoint-<name>`, whose last event holds the position. Optimistic
 * concurrency comes from the stream revision: a save first loads the checkpoint,
 * compares its position with what the caller expects, then appends with the loaded
 * revision as expected revision, so of two followers saving from the same state
 * exactly one append succeeds. `$maxCount = 1` on the stream lets the server scavenge
 * the history. The streams are hidden from $all readers (kurrentdb-filters.ts).
 * It must never advance a checkpoint whose current position differs from `expected`.
 */
import {
  BACKWARDS,
  END,
  NO_STREAM,
  StreamNotFoundError,
  WrongExpectedVersionError,
  metastreamOf,
} from '@kurrent/kurrentdb-client';
import { CheckpointConflictError } from '../event-store.errors';
import type { Checkpoint, CheckpointStore } from '../event-store.port';
import {
  checkpointEvent,
  decodeCheckpoint,
  keepLatestOnlyMetadataEvent,
  type StoredCheckpoint,
} from './kurrentdb-checkpoint-events';
import type { KurrentDbClient } from './kurrentdb-client';
import { checkpointStreamName } from './kurrentdb-filters';

export class KurrentDbCheckpointStore implements CheckpointStore {
  constructor(private readonly client: KurrentDbClient) {}

  async load(name: string): Promise<Checkpoint | null> {
    return (await this.loadStored(checkName(name)))?.checkpoint ?? null;
  }

  async save(name: string, position: bigint, expected: bigint | null): Promise<void> {
    const stream = checkpointStreamName(checkName(name));
    const event = checkpointEvent(position);
    if (expected === null) {
      await this.limitToLatest(stream);
      await this.appendOrConflict(name, stream, event, NO_STREAM, expected);
      return;
    }
    const current = await this.loadStored(name);
    if (current === null || current.checkpoint.position !== expected) {
      throw new CheckpointConflictError(name, expected, current?.checkpoint.position ?? null);
    }
    await this.appendOrConflict(name, stream, event, current.revision, expected);
  }

  private async appendOrConflict(
    name: string,
    stream: string,
    event: ReturnType<typeof checkpointEvent>,
    streamState: typeof NO_STREAM | bigint,
    expected: bigint | null,
  ): Promise<void> {
    try {
      await this.client.appendToStream(stream, [event], { streamState });
    } catch (error) {
      if (!(error instanceof WrongExpectedVersionError)) throw error;
      // Someone saved in between: report what is there now.
      const current = await this.loadStored(name);
      throw new CheckpointConflictError(name, expected, current?.checkpoint.position ?? null);
    }
  }

  private async loadStored(name: string): Promise<StoredCheckpoint | null> {
    try {
      const newest = this.client.readStream(checkpointStreamName(name), {
        direction: BACKWARDS,
        fromRevision: END,
        maxCount: 1,
      });
      for await (const resolved of newest) {
        if (resolved.event !== undefined) return decodeCheckpoint(name, resolved.event);
      }
      return null;
    } catch (error) {
      if (error instanceof StreamNotFoundError) return null;
      throw error;
    }
  }

  /**
   * Sets `$maxCount = 1` when the stream is created. Written with "no metadata yet"
   * as expected revision, so racing creators leave one metadata event, not many;
   * losing that race is fine, the winner wrote the same value.
   */
  private async limitToLatest(stream: string): Promise<void> {
    try {
      await this.client.appendToStream(metastreamOf(stream), [keepLatestOnlyMetadataEvent()], {
        streamState: NO_STREAM,
      });
    } catch (error) {
      if (!(error instanceof WrongExpectedVersionError)) throw error;
    }
  }
}

function checkName(name: string): string {
  if (typeof name !== 'string' || name.length === 0) {
    throw new RangeError('checkpoint name must be a non-empty string');
  }
  return name;
}
