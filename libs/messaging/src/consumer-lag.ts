/**
 * How far a consumer group is behind a topic, per partition, as the broker sees it: the
 * group's committed offset against the partition's end offset. Read through an admin client,
 * so it counts every partition, whichever member owns it (a member's own view covers only
 * its assignment). It must never commit or move an offset.
 */
import type { KafkaAdmin } from './kafka.factory';

export interface PartitionLag {
  readonly partition: number;
  /** The group's committed offset, `-1` when it has committed nothing there. */
  readonly committed: string;
  readonly high: string;
  readonly lag: string;
}

const LATEST = -1n;

/** End offset (high watermark) of every partition of `topic`. */
export async function topicEndOffsets(
  admin: KafkaAdmin,
  topic: string,
): Promise<Map<number, bigint>> {
  const metadata = await admin.metadata({ topics: [topic], forceUpdate: true });
  const count = metadata.topics.get(topic)?.partitionsCount ?? 0;
  const listed = await admin.listOffsets({
    topics: [
      {
        name: topic,
        partitions: Array.from({ length: count }, (_, partitionIndex) => ({
          partitionIndex,
          timestamp: LATEST,
        })),
      },
    ],
  });
  const partitions = listed.find((t) => t.name === topic)?.partitions ?? [];
  return new Map(partitions.map((p) => [p.partitionIndex, p.offset]));
}

/** The group's committed offset per partition of `topic` (partitions never committed: absent). */
export async function committedOffsets(
  admin: KafkaAdmin,
  groupId: string,
  topic: string,
): Promise<Map<number, bigint>> {
  const [group] = await admin.listConsumerGroupOffsets({ groups: [groupId] });
  const partitions = group?.topics.find((t) => t.name === topic)?.partitions ?? [];
  return new Map(
    partitions
      .filter((p) => p.committedOffset >= 0n)
      .map((p) => [p.partitionIndex, p.committedOffset]),
  );
}

export async function groupLag(
  admin: KafkaAdmin,
  groupId: string,
  topic: string,
): Promise<PartitionLag[]> {
  const [ends, committed] = await Promise.all([
    topicEndOffsets(admin, topic),
    committedOffsets(admin, groupId, topic),
  ]);
  return [...ends]
    .map(([partition, high]) => {
      const done = committed.get(partition);
      return {
        partition,
        committed: (done ?? -1n).toString(),
        high: high.toString(),
        lag: (high - (done ?? 0n)).toString(),
      };
    })
    .sort((a, b) => a.partition - b.partition);
}
