/**
 * Kafka client bench: Tandem-shaped messages, built by the real wire codec (toEventMessage):
 * key = lead id (UUID), value = the envelope JSON of a TouchpointRecorded event (661 bytes: the
 * envelope alone carries five UUIDs and two timestamps), and the four Tandem headers. Ids are
 * UUID-shaped with the sequence number in the last 12 hex digits, so a consumer can count
 * deliveries per event and check per-lead order without lookup tables.
 * Message i belongs to lead i % LEADS, so every lead has several events in increasing order.
 */
import { createHash } from 'node:crypto';
import { eventHeaders, toEventMessage, type EventMessage } from '@tandem/contracts';

export const LEADS = 20_000;

/** A UUID-shaped id: a seeded prefix, then `n` in the last 12 hex digits. */
function sequencedId(prefix: string, n: number): string {
  return `${prefix}${n.toString(16).padStart(12, '0')}`;
}

/** The sequence number in the last 12 hex digits of an id made by sequencedId. */
export function sequenceOf(id: string): number {
  return Number.parseInt(id.slice(-12), 16);
}

export const eventIdHeader = eventHeaders.eventId;

/** The first 24 characters of a UUID v4, derived from `seed` (same seed, same prefix). */
function uuidPrefix(seed: string): string {
  const hex = createHash('sha256').update(seed).digest('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-a${hex.slice(17, 20)}-`;
}

/**
 * `count` messages; message i is event i of lead i % LEADS. The same seed gives the same ids,
 * so the parent process can predict the keys a worker produces.
 */
export function tandemMessages(count: number, seed: string): EventMessage[] {
  const leadPrefix = uuidPrefix(`${seed}/lead`);
  const eventPrefix = uuidPrefix(`${seed}/event`);
  const correlationPrefix = uuidPrefix(`${seed}/correlation`);
  const touchpointPrefix = uuidPrefix(`${seed}/touchpoint`);
  const recordedAt = new Date('2026-11-20T09:30:00.000Z');
  const build = (i: number): EventMessage => {
    const lead = i % LEADS;
    const leadId = sequencedId(leadPrefix, lead);
    return toEventMessage({
      eventId: sequencedId(eventPrefix, i),
      type: 'TouchpointRecorded',
      schemaVersion: 1,
      streamId: `lead-${leadId}`,
      streamRevision: BigInt(Math.floor(i / LEADS)),
      globalPosition: BigInt(i + 1),
      recordedAt,
      data: {
        touchpointId: sequencedId(touchpointPrefix, i),
        kind: 'content_download',
        channel: 'paid_search',
        campaign: 'q4-emea',
        content: 'whitepaper',
      },
      metadata: {
        leadId,
        accountId: sequencedId(leadPrefix, LEADS + (lead % 997)),
        occurredAt: '2026-11-20T09:29:58.120Z',
        correlationId: sequencedId(correlationPrefix, i),
        causationId: null,
        actor: { kind: 'service', id: 'ingest', role: 'marketing' },
      },
    });
  };
  return Array.from({ length: count }, (_, i) => build(i));
}
