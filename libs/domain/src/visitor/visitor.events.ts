/**
 * Touchpoints before capture: an anonymous web visit or ad click recorded against a visitor id
 * (the pseudonymous id a tracking snippet keeps in a first-party cookie), in the visitor's own
 * stream `visitor-<id>`. No lead exists yet; LeadCaptured's `visitorIds` later names the
 * visitors the lead was, and attribution reads their touches as the lead's (ADR 0012).
 *
 * Nothing here is personal by construction: no free text, no URL, no IP, and a visitor id must
 * be random (never derived from an e-mail or a name), so erasing a lead leaves the stitched
 * touches, and every number built on them, as they were.
 */
import type { TouchpointKind } from '../rules/funnel-definition';
import { DomainError } from '../errors';

export type AnonymousTouchpointRecorded = {
  type: 'AnonymousTouchpointRecorded';
  data: {
    visitorId: string;
    touchpointId: string;
    kind: TouchpointKind;
    channel: string;
    campaign: string | null;
  };
};

export type VisitorEvent = AnonymousTouchpointRecorded;
export const visitorEventTypes = [
  'AnonymousTouchpointRecorded',
] as const satisfies readonly VisitorEvent['type'][];

/** 8–64 URL-safe characters: a random id, as tracking snippets mint them. */
export const VISITOR_ID_PATTERN = /^[A-Za-z0-9_-]{8,64}$/;
/** The most visitor ids one capture may stitch (devices and browsers of one person). */
export const MAX_VISITOR_IDS = 20;

export const visitorStreamId = (visitorId: string): string => `visitor-${visitorId}`;

export class InvalidVisitorIdError extends DomainError {
  readonly code = 'invalid_visitor_id';
  constructor(readonly raw: string) {
    super(`visitor id ${JSON.stringify(raw.slice(0, 80))} must be 8–64 letters, digits, _ or -`);
  }
}
