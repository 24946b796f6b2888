/**
 * The lead state cache against a stream held in memory: it folds only what was appended after
 * the revision it holds, sees appends made elsewhere, starts over when the stream it cached is
 * gone, and keeps at most `maxLeads` leads.
 */
import { randomUUID } from 'node:crypto';
import { encodeForStore } from '@tandem/contracts';
import { type LeadEvent, leadStreamId } from '@tandem/domain';
import type { EventStore, ReadStreamOptions, RecordedEvent } from '@tandem/event-store';
import { LeadStateCache } from './lead-state.cache';
import { loadLead } from './lead.stream';

const captured: LeadEvent = {
  type: 'LeadCaptured',
  data: {
    contact: { name: 'Giulia Rossi', email: 'giulia@example.com' },
    company: { name: 'Acme', industry: 'software', size: 200, country: 'IT' },
    source: { channel: 'paid_search', campaign: 'q1-search' },
    productInterest: 'funnel_analytics',
    timeframe: '3_months',
    consent: { marketing: true },
  },
};

function touchpoint(): LeadEvent {
  return {
    type: 'TouchpointRecorded',
    data: {
      touchpointId: randomUUID(),
      kind: 'webinar',
      channel: 'web',
      campaign: null,
      content: null,
    },
  };
}

/** Streams in memory; counts the events each readStream returned. */
class StreamsInMemory {
  readonly streams = new Map<string, RecordedEvent[]>();
  eventsRead = 0;
  private position = 0n;

  append(leadId: string, events: readonly LeadEvent[]): void {
    const streamId = leadStreamId(leadId);
    const stream = this.streams.get(streamId) ?? [];
    for (const event of events) {
      const stored = encodeForStore(event, {
        eventId: randomUUID(),
        leadId,
        accountId: null,
        occurredAt: '2026-03-01T09:00:00.000Z',
        correlationId: randomUUID(),
        causationId: null,
        actor: { kind: 'user', id: 'spec@example.com', role: 'marketing' },
      });
      this.position += 1n;
      stream.push({
        ...stored,
        streamId,
        streamRevision: BigInt(stream.length),
        globalPosition: this.position,
        recordedAt: new Date(),
      });
    }
    this.streams.set(streamId, stream);
  }

  asStore(): EventStore {
    const readStream = (streamId: string, options: ReadStreamOptions = {}) => {
      const from = Number(options.fromRevision ?? 0n);
      const read = (this.streams.get(streamId) ?? []).slice(from);
      this.eventsRead += read.length;
      return Promise.resolve(read);
    };
    return { readStream } as unknown as EventStore;
  }
}

describe('LeadStateCache', () => {
  it('folds only the events after the revision it holds, to the same state as a full load', async () => {
    const memory = new StreamsInMemory();
    const leadId = randomUUID();
    memory.append(leadId, [captured, ...Array.from({ length: 500 }, touchpoint)]);
    const cache = new LeadStateCache(memory.asStore());

    expect((await cache.load(leadId)).revision).toBe(500n);
    memory.append(leadId, [touchpoint(), touchpoint()]);
    memory.eventsRead = 0;
    const fold = await cache.load(leadId);

    // The cached revision's own event (to check it is still there) and the two new ones.
    expect(memory.eventsRead).toBe(3);
    const full = await loadLead(memory.asStore(), leadId);
    expect(fold.revision).toBe(502n);
    expect(fold.state).toEqual(full.state);
    expect(fold.state.facts.touchpoints).toHaveLength(502);
  });

  it('starts over when the event at the cached revision is not the one it folded', async () => {
    const memory = new StreamsInMemory();
    const leadId = randomUUID();
    memory.append(leadId, [captured, touchpoint(), touchpoint()]);
    const cache = new LeadStateCache(memory.asStore());
    await cache.load(leadId);

    // The store was rebuilt under the API: same lead, other events, fewer of them.
    memory.streams.delete(leadStreamId(leadId));
    memory.append(leadId, [captured]);
    const fold = await cache.load(leadId);

    expect(fold.revision).toBe(0n);
    expect(fold.state.facts.touchpoints).toEqual([]);
  });

  it('keeps nothing for a lead that does not exist', async () => {
    const memory = new StreamsInMemory();
    const cache = new LeadStateCache(memory.asStore());
    expect((await cache.load(randomUUID())).revision).toBeNull();
    expect(cache.size).toBe(0);
  });

  it('drops the least recently used lead beyond maxLeads', async () => {
    const memory = new StreamsInMemory();
    const [a, b, c] = [randomUUID(), randomUUID(), randomUUID()];
    for (const leadId of [a, b, c]) memory.append(leadId, [captured, touchpoint()]);
    const cache = new LeadStateCache(memory.asStore(), 2);
    await cache.load(a);
    await cache.load(b);
    await cache.load(a); // a is now the most recent
    await cache.load(c); // evicts b
    expect(cache.size).toBe(2);

    memory.eventsRead = 0;
    await cache.load(a);
    expect(memory.eventsRead).toBe(1); // still cached: only its last event, to check it
    memory.eventsRead = 0;
    await cache.load(b);
    expect(memory.eventsRead).toBe(2); // evicted: read whole
  });
});
