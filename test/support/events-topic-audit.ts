/**
 * What a downstream service reading `tandem.lead-events.v1` sees after relay crashes, checked
 * against the store (DESIGN: at least once, ordered per lead, consumers dedupe by event id).
 * The topic is read whole from the earliest offset under a fresh group, as a new consumer
 * would; the answer lists every broken promise (empty when none), so a spec shows them all.
 * Test code only.
 */
import { randomUUID } from 'node:crypto';
import type { KafkaConfig } from '@tandem/config';
import { eventHeaders } from '@tandem/contracts';
import type { EventStore, RecordedEvent } from '@tandem/event-store';
import { consumeTopics, createConsumer } from '@tandem/messaging';
import { eventually } from './eventually';

interface Delivered {
  readonly partition: number;
  readonly offset: bigint;
  readonly key: string;
  /** The header a consumer dedupes by. */
  readonly eventId: string;
  readonly envelope: {
    eventId: string;
    leadId: string | null;
    streamId: string;
    streamRevision: number;
  };
}

async function storeLog(store: EventStore): Promise<RecordedEvent[]> {
  const events: RecordedEvent[] = [];
  for (;;) {
    const page = await store.readAll({ after: events.at(-1)?.globalPosition ?? null });
    if (page.length === 0) return events;
    events.push(...page);
  }
}

export interface TopicAudit {
  readonly events: number;
  readonly messages: number;
  readonly duplicates: number;
  readonly problems: readonly string[];
}

export async function auditEventsTopic(
  kafka: KafkaConfig,
  topic: string,
  store: EventStore,
): Promise<TopicAudit> {
  const log = await storeLog(store);
  const delivered: Delivered[] = [];
  const seen = new Set<string>();
  const consumer = createConsumer(kafka, `audit-${randomUUID()}`, 'topic-audit');
  try {
    const stream = await consumeTopics(consumer, [topic]);
    stream.on('data', (message) => {
      const envelope = JSON.parse(message.value.toString()) as Delivered['envelope'];
      const eventId = message.headers.get(eventHeaders.eventId)?.toString() ?? '';
      delivered.push({
        partition: message.partition,
        offset: message.offset,
        key: message.key ?? '',
        eventId,
        envelope,
      });
      seen.add(eventId);
    });
    await eventually(
      async () => (log.every((event) => seen.has(event.eventId)) ? true : undefined),
      `every one of the store's ${log.length} events is on ${topic}`,
      60_000,
    ).catch(() => undefined); // what is missing is reported below
  } finally {
    await consumer.close(true);
  }

  const problems: string[] = [];
  const missing = log.filter((event) => !seen.has(event.eventId));
  if (missing.length > 0) {
    problems.push(
      `${missing.length} events never delivered, first at position ${missing[0]?.globalPosition}`,
    );
  }
  const partitionOf = new Map<string, number>();
  // Per partition in offset order, first deliveries only: each stream's revisions must follow on.
  const nextRevision = new Map<string, number>();
  const firsts = new Set<string>();
  const ordered = [...delivered].sort((a, b) =>
    a.partition !== b.partition ? a.partition - b.partition : a.offset < b.offset ? -1 : 1,
  );
  for (const message of ordered) {
    const { envelope } = message;
    if (message.eventId !== envelope.eventId) {
      problems.push(`offset ${message.offset}: header event id is not the envelope's`);
    }
    if (message.key !== (envelope.leadId ?? envelope.streamId)) {
      problems.push(`event ${message.eventId}: key ${message.key}, not its lead`);
    }
    const partition = partitionOf.get(message.key) ?? message.partition;
    partitionOf.set(message.key, partition);
    if (partition !== message.partition) {
      problems.push(`key ${message.key} on partitions ${partition} and ${message.partition}`);
    }
    if (firsts.has(message.eventId)) continue;
    firsts.add(message.eventId);
    const expected = nextRevision.get(envelope.streamId) ?? 0;
    if (envelope.streamRevision !== expected) {
      problems.push(
        `${envelope.streamId}: revision ${envelope.streamRevision} delivered first where ${expected} was due`,
      );
    }
    nextRevision.set(envelope.streamId, Math.max(expected, envelope.streamRevision + 1));
  }
  return {
    events: log.length,
    messages: delivered.length,
    duplicates: delivered.length - firsts.size,
    problems: problems.slice(0, 20),
  };
}
