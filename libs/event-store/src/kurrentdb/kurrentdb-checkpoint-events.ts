/**
 * The event that records a checkpoint in its KurrentDB stream: `{ position: "<decimal>" }`
 * of type `tandem.checkpoint`. Positions go up to 2^63-1, beyond what a JSON number
 * keeps exactly, hence a string. The record's own `created` time is `updatedAt`.
 * It must never read a checkpoint it cannot parse exactly: a follower resuming from a
 * wrong position would skip or repeat events.
 */
import { randomUUID } from 'node:crypto';
import type { EventData } from '@kurrent/kurrentdb-client';
import type { Checkpoint } from '../event-store.port';
import { CHECKPOINT_EVENT_TYPE } from './kurrentdb-filters';
import { KurrentDbRecordError, type KurrentRecord } from './kurrentdb-event-codec';
import { MAX_GLOBAL_POSITION } from './kurrentdb-positions';

/** A checkpoint and the revision of the event that holds it (for the next expected revision). */
export interface StoredCheckpoint {
  readonly checkpoint: Checkpoint;
  readonly revision: bigint;
}

export function checkpointEvent(position: bigint): EventData {
  if (position < 0n || position > MAX_GLOBAL_POSITION) {
    throw new RangeError(`checkpoint position ${position.toString()} is out of range`);
  }
  return {
    id: randomUUID(),
    contentType: 'application/json',
    type: CHECKPOINT_EVENT_TYPE,
    data: { position: position.toString() },
    metadata: undefined,
  };
}

/**
 * Stream metadata `$maxCount = 1` as the `$metadata` event of the stream's metastream
 * (`$$<stream>`), which is all the client's setStreamMetadata does — written here
 * directly because that helper drops its expected-revision option (client 1.3.1).
 */
export function keepLatestOnlyMetadataEvent(): EventData {
  return {
    id: randomUUID(),
    contentType: 'application/json',
    type: '$metadata',
    data: { $maxCount: 1 },
    metadata: undefined,
  };
}

export function decodeCheckpoint(name: string, record: KurrentRecord): StoredCheckpoint {
  const where = `checkpoint ${name} (${record.streamId}@${record.revision.toString()})`;
  if (record.type !== CHECKPOINT_EVENT_TYPE) {
    throw new KurrentDbRecordError(`${where}: unexpected event type ${record.type}`);
  }
  const text = (record.data as { position?: unknown } | null)?.position;
  if (typeof text !== 'string' || !/^(0|[1-9][0-9]{0,18})$/.test(text)) {
    throw new KurrentDbRecordError(`${where}: position ${JSON.stringify(text)} is not a decimal`);
  }
  const position = BigInt(text);
  if (position > MAX_GLOBAL_POSITION) {
    throw new KurrentDbRecordError(`${where}: position ${text} is out of range`);
  }
  return { checkpoint: { name, position, updatedAt: record.created }, revision: record.revision };
}
