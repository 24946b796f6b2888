/**
 * The lead-lifecycle event catalogue, v1. Events are immutable contracts: a change
 * of shape is a new schemaVersion with an upcaster (libs/contracts), never an edit.
 * Personal fields are typed `Personal` (plain in commands, sealed in the store); the list
 * of them lives in lead.personal-data.ts. Projections must not copy them.
 */
import type { SalesEntryPath, TouchpointKind } from '../rules/funnel-definition';
import type { Personal } from './lead.personal-data';

export interface Contact {
  readonly name: Personal;
  readonly email: Personal;
  readonly phone?: Personal | undefined;
}

export interface Company {
  readonly name: Personal;
  readonly industry?: string | undefined;
  readonly size?: number | undefined;
  readonly country?: string | undefined;
}

export interface Source {
  readonly channel: string;
  readonly campaign?: string | undefined;
  readonly medium?: string | undefined;
  /**
   * utm_content: personal, for mail tools put the recipient's address or name there. Sealed
   * from LeadCaptured v2 on; plain in v1 captures, which are never rewritten (ADR 0009).
   */
  readonly content?: Personal | undefined;
}

export interface Money {
  readonly amount: number;
  readonly currency: string;
}

export type LeadCaptured = {
  type: 'LeadCaptured';
  data: {
    contact: Contact;
    company: Company;
    source: Source;
    productInterest: string | null;
    timeframe: string | null;
    consent: { marketing: boolean };
    /**
     * The anonymous visitors this lead was before capture (AnonymousTouchpointRecorded in
     * `visitor-<id>`): attribution stitches their touches to the lead. Absent when none.
     */
    visitorIds?: string[] | undefined;
  };
};

export type TouchpointRecorded = {
  type: 'TouchpointRecorded';
  data: {
    touchpointId: string;
    kind: TouchpointKind;
    channel: string;
    campaign: string | null;
    content: Personal | null;
  };
};

export type LeadProfiled = {
  type: 'LeadProfiled';
  data: {
    industry: string | null;
    companySize: number | null;
    country: string | null;
    role: string | null;
    budget: Money | null;
    timeline: string | null;
  };
};

export type LeadQualifiedAsMql = {
  type: 'LeadQualifiedAsMql';
  data: {
    rulesVersion: number;
    fitScore: number;
    intentScore: number;
    score: number;
    threshold: number;
    reasons: string[];
  };
};

/**
 * `path` says how the lead entered sales; absent (every hand-off recorded before paths existed,
 * and every marketing hand-off) means `marketing`. A `sales_sourced` hand-off names its
 * `salesSource`, a code from the definition's salesSourced.sources.
 */
export type LeadHandedToSales = {
  type: 'LeadHandedToSales';
  data: {
    owner: string;
    team: string | null;
    slaDueAt: string;
    rulesVersion: number;
    path?: SalesEntryPath;
    salesSource?: string;
  };
};

export type LeadAcceptedBySales = {
  type: 'LeadAcceptedBySales';
  data: { owner: string; note: Personal | null };
};

export type LeadRejectedBySales = {
  type: 'LeadRejectedBySales';
  data: { owner: string; reason: string; note: Personal | null };
};

export type LeadQualifiedAsSql = {
  type: 'LeadQualifiedAsSql';
  data: { criteriaMet: string[]; rulesVersion: number };
};

export type OpportunityOpened = {
  type: 'OpportunityOpened';
  data: { opportunityId: string; stage: string; amount: number; currency: string };
};

export type OpportunityStageChanged = {
  type: 'OpportunityStageChanged';
  data: { opportunityId: string; from: string; to: string; amount: number };
};

export type DealWon = {
  type: 'DealWon';
  data: { opportunityId: string; amount: number; currency: string };
};

export type DealLost = {
  type: 'DealLost';
  data: { opportunityId: string; reason: string; note: Personal | null };
};

export type LeadRecycled = {
  type: 'LeadRecycled';
  data: { from: string; reason: Personal };
};

export type LeadMerged = {
  type: 'LeadMerged';
  data: { intoLeadId: string };
};

/**
 * A touch of a duplicate as its survivor keeps it (DuplicateMergedIn): what tells a retry of
 * it from a different touch under the same id, never its content nor its time. Not a touch of
 * the survivor: scoring and the views leave it on the duplicate (ADR 0016).
 */
export interface MergedTouchpoint {
  readonly touchpointId: string;
  readonly kind: TouchpointKind;
  readonly channel: string;
  readonly campaign: string | null;
  readonly contentGiven: boolean;
}

/**
 * On the survivor, in one atomic step with the duplicate's LeadMerged (ADR 0016): the lead
 * merged into this one and the touches it held (its own, and those merged into it before), so
 * a touch sent here after the merge is answered as the retry it is. It moves the survivor's
 * revision, so a crossing merge conflicts with it; it changes nothing scoring reads.
 */
export type DuplicateMergedIn = {
  type: 'DuplicateMergedIn';
  data: { mergedLeadId: string; touchpoints: MergedTouchpoint[] };
};

export type LeadErased = {
  type: 'LeadErased';
  data: { reason: string };
};

export type LeadEvent =
  | LeadCaptured
  | TouchpointRecorded
  | LeadProfiled
  | LeadQualifiedAsMql
  | LeadHandedToSales
  | LeadAcceptedBySales
  | LeadRejectedBySales
  | LeadQualifiedAsSql
  | OpportunityOpened
  | OpportunityStageChanged
  | DealWon
  | DealLost
  | LeadRecycled
  | LeadMerged
  | DuplicateMergedIn
  | LeadErased;

export type LeadEventType = LeadEvent['type'];

export const leadEventTypes = [
  'LeadCaptured',
  'TouchpointRecorded',
  'LeadProfiled',
  'LeadQualifiedAsMql',
  'LeadHandedToSales',
  'LeadAcceptedBySales',
  'LeadRejectedBySales',
  'LeadQualifiedAsSql',
  'OpportunityOpened',
  'OpportunityStageChanged',
  'DealWon',
  'DealLost',
  'LeadRecycled',
  'LeadMerged',
  'DuplicateMergedIn',
  'LeadErased',
] as const satisfies readonly LeadEventType[];

/** Current schema version of every lead event type. */
export const LEAD_EVENT_SCHEMA_VERSION = 1;

export const leadStreamId = (leadId: string): string => `lead-${leadId}`;
