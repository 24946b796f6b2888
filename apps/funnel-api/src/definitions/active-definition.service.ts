/**
 * The funnel definition in force for live decisions. The `funnel-definitions`
 * stream records two facts: a version was published (FunnelDefinitionPublished)
 * and a version was put in force (FunnelDefinitionActivated). Publishing alone
 * changes nothing; the latest activation decides.
 *
 * Bootstrap, so every decision names a version that exists as an event: the
 * dictionary's decider (libs/domain/src/dictionary) answers EnsureDefinitionInForce —
 * on an empty stream the shipped default is published and activated in one append; on
 * a legacy stream (versions, no activation) the newest is activated explicitly.
 *
 * Live decisions re-read the stream's tail at most once a second (a version
 * activated by another process is in force within that second; the event
 * records the version actually used); publishing, activating and listing always
 * re-read. This service never decides what may be published or activated: the
 * decider does, from the DictionaryState this service folds with its evolve.
 */
import { Inject, Injectable, type OnModuleInit } from '@nestjs/common';
import { decodeStoredEvent } from '@tandem/contracts';
import {
  DEFINITIONS_STREAM,
  defaultFunnelDefinition,
  definitionHash,
  type DictionaryState,
  evolveDictionary,
  type FunnelDefinition,
  initialDictionaryState,
  versionInForce,
} from '@tandem/domain';
import { ensureDefinitionInForce, type EventStore } from '@tandem/event-store';
import { EVENT_STORE } from '../platform/tokens';

export interface PublishedDefinition {
  readonly version: number;
  readonly definition: FunnelDefinition;
  readonly definitionHash: string;
  readonly publishedAt: string;
  readonly publishedBy: string;
}

/** The latest FunnelDefinitionActivated of the stream. */
export interface Activation {
  readonly version: number;
  readonly definitionHash: string;
  readonly previousVersion: number | null;
  readonly eventId: string;
  readonly globalPosition: bigint;
  readonly activatedAt: string;
  readonly activatedBy: string;
}

export interface InForce {
  readonly version: number;
  readonly definition: FunnelDefinition;
  readonly definitionHash: string;
}

export interface DefinitionsSnapshot {
  /** Revision of the stream's last event (of any type): the next append's expected revision. */
  readonly revision: bigint | null;
  /** What the dictionary's decider decides from. */
  readonly state: DictionaryState;
  readonly versions: readonly PublishedDefinition[];
  readonly activation: Activation | null;
  /** The latest activated version; on a legacy stream without activation, the latest published. */
  readonly active: InForce | null;
}

const LIVE_REFRESH_MS = 1000;
@Injectable()
export class ActiveDefinition implements OnModuleInit {
  private readonly published: PublishedDefinition[] = [];
  private activation: Activation | null = null;
  private state: DictionaryState = initialDictionaryState();
  private revision: bigint | null = null;
  private refreshedAt = 0;

  constructor(@Inject(EVENT_STORE) private readonly store: EventStore) {}

  async onModuleInit(): Promise<void> {
    const { revision, state } = await this.refresh();
    await ensureDefinitionInForce(this.store, state, revision);
    await this.refresh();
  }

  /** Reads the events appended since the last call. */
  async refresh(): Promise<DefinitionsSnapshot> {
    this.refreshedAt = Date.now();
    const fresh = await this.store.readStream(DEFINITIONS_STREAM, {
      fromRevision: this.revision === null ? 0n : this.revision + 1n,
    });
    for (const record of fresh) {
      // Two overlapping refreshes read the same tail; each record is applied once.
      if (this.revision !== null && record.streamRevision <= this.revision) continue;
      const decoded = decodeStoredEvent(record);
      if (!decoded.ok)
        throw new Error(`undecodable definition event ${record.eventId}: ${decoded.reason}`);
      const { envelope } = decoded;
      if (
        envelope.type === 'FunnelDefinitionPublished' ||
        envelope.type === 'FunnelDefinitionActivated'
      ) {
        this.state = evolveDictionary(this.state, envelope);
      }
      if (envelope.type === 'FunnelDefinitionPublished') {
        this.published.push({
          version: envelope.data.version,
          definition: envelope.data.definition,
          definitionHash: definitionHash(envelope.data.definition),
          publishedAt: envelope.occurredAt,
          publishedBy: envelope.actor.id,
        });
      } else if (envelope.type === 'FunnelDefinitionActivated') {
        const { version } = envelope.data;
        if (!this.published.some((entry) => entry.version === version)) {
          throw new Error(`definition event ${record.eventId} activates unpublished v${version}`);
        }
        this.activation = {
          ...envelope.data,
          eventId: envelope.eventId,
          globalPosition: record.globalPosition,
          activatedAt: envelope.occurredAt,
          activatedBy: envelope.actor.id,
        };
      }
      this.revision = record.streamRevision;
    }
    return {
      revision: this.revision,
      state: this.state,
      versions: [...this.published],
      activation: this.activation,
      active: this.inForce(),
    };
  }

  /** The definition for a live decision (re-read at most once a second). */
  async current(): Promise<FunnelDefinition> {
    if (Date.now() - this.refreshedAt >= LIVE_REFRESH_MS) await this.refresh();
    return this.inForce()?.definition ?? defaultFunnelDefinition;
  }

  /** The version in force, read fresh from the stream. */
  async active(): Promise<InForce> {
    const { active } = await this.refresh();
    if (active === null) throw new Error(`${DEFINITIONS_STREAM} has no published definition`);
    return active;
  }

  async all(): Promise<readonly PublishedDefinition[]> {
    return (await this.refresh()).versions;
  }

  private inForce(): InForce | null {
    const ref = versionInForce(this.state);
    const entry = this.published.find((candidate) => candidate.version === ref?.version);
    if (entry === undefined) return null;
    return {
      version: entry.version,
      definition: entry.definition,
      definitionHash: entry.definitionHash,
    };
  }
}
