/**
 * The event envelope: the facts every Tandem event carries besides its payload.
 * Pure types; the event store adapters map them to their own storage.
 */

export type ActorKind = 'user' | 'system' | 'service';

/** Who caused a fact. `role` is the role the write was authorised under. */
export interface Actor {
  readonly kind: ActorKind;
  readonly id: string;
  readonly role: Role;
}

/**
 * `analyst` reads the views and nothing personal, and writes nothing; `system` is Tandem's
 * own automation. What each role may call is one table in apps/funnel-api (ADR 0011).
 */
export const roles = ['marketing', 'sales', 'ops', 'analyst', 'system'] as const;
export type Role = (typeof roles)[number];

export interface EnvelopeMeta {
  readonly eventId: string;
  readonly schemaVersion: number;
  /** Set for lead events; definitions, targets and spend live in their own streams. */
  readonly leadId: string | null;
  readonly accountId: string | null;
  /** Business time: when it happened (ISO-8601, UTC). */
  readonly occurredAt: string;
  /** When the store recorded it (ISO-8601, UTC). */
  readonly recordedAt: string;
  readonly correlationId: string;
  readonly causationId: string | null;
  readonly actor: Actor;
  readonly streamId: string;
  readonly streamRevision: number;
  /** Position in the store's global log; unique and increasing. Serialised as a string (64-bit). */
  readonly globalPosition: string;
}

/** A recorded event: the envelope plus a typed `{ type, data }` body. */
export type Envelope<E extends { type: string; data: unknown }> = EnvelopeMeta & E;
