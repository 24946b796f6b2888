/**
 * The funnel definition in force for live decisions: the newest version in the
 * `funnel-definitions` stream. On first start the shipped default is published
 * as version 1, so every decision names a version that exists as an event.
 * Live decisions re-read the stream's tail at most once a second (a version
 * published by another process is in force within that second; the event
 * records the version actually used); publishing and listing always re-read.
 */
import { Inject, Injectable, type OnModuleInit } from '@nestjs/common';
import { decodeStoredEvent, encodeForStore } from '@tandem/contracts';
import { DEFINITIONS_STREAM, defaultFunnelDefinition, type FunnelDefinition } from '@tandem/domain';
import { type EventStore, WrongExpectedRevisionError } from '@tandem/event-store';
import { v7 as uuidv7 } from 'uuid';
import { EVENT_STORE } from '../platform/tokens';

export interface PublishedDefinition {
  readonly version: number;
  readonly definition: FunnelDefinition;
  readonly publishedAt: string;
  readonly publishedBy: string;
}

const LIVE_REFRESH_MS = 1000;

@Injectable()
export class ActiveDefinition implements OnModuleInit {
  private published: PublishedDefinition[] = [];
  private revision: bigint | null = null;
  private refreshedAt = 0;

  constructor(@Inject(EVENT_STORE) private readonly store: EventStore) {}

  async onModuleInit(): Promise<void> {
    await this.refresh();
    if (this.published.length > 0) return;
    const now = new Date().toISOString();
    const event = encodeForStore(
      {
        type: 'FunnelDefinitionPublished',
        data: { version: defaultFunnelDefinition.version, definition: defaultFunnelDefinition },
      },
      {
        eventId: uuidv7(),
        leadId: null,
        accountId: null,
        occurredAt: now,
        correlationId: uuidv7(),
        causationId: null,
        actor: { kind: 'system', id: 'tandem-bootstrap', role: 'system' },
      },
    );
    try {
      await this.store.append(DEFINITIONS_STREAM, [event], { expectedRevision: 'no_stream' });
    } catch (error) {
      // Another process bootstrapped first: its version 1 is the one in force.
      if (!(error instanceof WrongExpectedRevisionError)) throw error;
    }
    await this.refresh();
  }

  /** Reads definitions published since the last call. */
  async refresh(): Promise<{ revision: bigint | null; versions: readonly PublishedDefinition[] }> {
    this.refreshedAt = Date.now();
    const fresh = await this.store.readStream(DEFINITIONS_STREAM, {
      fromRevision: this.revision === null ? 0n : this.revision + 1n,
    });
    for (const record of fresh) {
      const decoded = decodeStoredEvent(record);
      if (!decoded.ok)
        throw new Error(`undecodable definition event ${record.eventId}: ${decoded.reason}`);
      const { envelope } = decoded;
      if (envelope.type !== 'FunnelDefinitionPublished') continue;
      this.published.push({
        version: envelope.data.version,
        definition: envelope.data.definition,
        publishedAt: envelope.occurredAt,
        publishedBy: envelope.actor.id,
      });
      this.revision = record.streamRevision;
    }
    return { revision: this.revision, versions: this.published };
  }

  async current(): Promise<FunnelDefinition> {
    if (Date.now() - this.refreshedAt >= LIVE_REFRESH_MS) await this.refresh();
    return this.published.at(-1)?.definition ?? defaultFunnelDefinition;
  }

  async all(): Promise<readonly PublishedDefinition[]> {
    return (await this.refresh()).versions;
  }
}
