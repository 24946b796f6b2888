/**
 * Commands a lead accepts: plain data, one discriminated union. Ids the events
 * need (touchpoint, opportunity) come in the command so the decider stays pure.
 */
import type { TouchpointKind } from '../rules/funnel-definition';
import type { Company, Contact, Money, Source } from './lead.events';

export type CaptureLead = {
  type: 'CaptureLead';
  data: {
    contact: Contact;
    company: Company;
    source: Source;
    productInterest: string | null;
    timeframe: string | null;
    consent: { marketing: boolean };
    /** Visitor ids whose anonymous touchpoints become this lead's (ADR 0012). */
    visitorIds?: string[] | undefined;
  };
};
export type RecordTouchpoint = {
  type: 'RecordTouchpoint';
  data: {
    touchpointId: string;
    kind: TouchpointKind;
    channel: string;
    campaign: string | null;
    content: string | null;
  };
};
export type ProfileLead = {
  type: 'ProfileLead';
  data: {
    industry: string | null;
    companySize: number | null;
    country: string | null;
    role: string | null;
    budget: Money | null;
    timeline: string | null;
  };
};
export type QualifyLeadAsMql = { type: 'QualifyLeadAsMql'; data: Record<string, never> };
export type HandLeadToSales = {
  type: 'HandLeadToSales';
  data: { owner: string; team: string | null };
};
/** A lead that reaches sales without an MQL (sales-sourced path); `source` is a salesSourced code. */
export type HandLeadToSalesDirectly = {
  type: 'HandLeadToSalesDirectly';
  data: { owner: string; team: string | null; source: string };
};
export type AcceptLead = { type: 'AcceptLead'; data: { note: string | null } };
export type RejectLead = { type: 'RejectLead'; data: { reason: string; note: string | null } };
export type QualifyLeadAsSql = { type: 'QualifyLeadAsSql'; data: { criteriaMet: string[] } };
export type OpenOpportunity = {
  type: 'OpenOpportunity';
  data: { opportunityId: string; stage: string; amount: number; currency: string };
};
export type ChangeOpportunityStage = {
  type: 'ChangeOpportunityStage';
  data: { to: string; amount: number | null };
};
export type WinDeal = { type: 'WinDeal'; data: { amount: number | null } };
export type LoseDeal = { type: 'LoseDeal'; data: { reason: string; note: string | null } };
export type RecycleLead = { type: 'RecycleLead'; data: { reason: string } };
export type MergeLead = { type: 'MergeLead'; data: { intoLeadId: string } };
export type EraseLead = { type: 'EraseLead'; data: { reason: string } };

export type LeadCommand =
  | CaptureLead
  | RecordTouchpoint
  | ProfileLead
  | QualifyLeadAsMql
  | HandLeadToSales
  | HandLeadToSalesDirectly
  | AcceptLead
  | RejectLead
  | QualifyLeadAsSql
  | OpenOpportunity
  | ChangeOpportunityStage
  | WinDeal
  | LoseDeal
  | RecycleLead
  | MergeLead
  | EraseLead;

export type LeadCommandType = LeadCommand['type'];

/**
 * Every lead command in the order a lead's lifecycle takes them: capture, nurture, the stage
 * moves from MQL to recycling, then the administrative merge and erasure. The moves are
 * `lifecycleMoves` (dated no earlier than the last one, lead.decider.ts); the import orders a
 * lead's facts of one instant by it.
 */
export const leadCommandsInLifecycleOrder = [
  'CaptureLead',
  'RecordTouchpoint',
  'ProfileLead',
  'QualifyLeadAsMql',
  'HandLeadToSales',
  'HandLeadToSalesDirectly',
  'AcceptLead',
  'RejectLead',
  'QualifyLeadAsSql',
  'OpenOpportunity',
  'ChangeOpportunityStage',
  'WinDeal',
  'LoseDeal',
  'RecycleLead',
  'MergeLead',
  'EraseLead',
] as const satisfies readonly LeadCommandType[];

/** The commands that move a lead along its stages: from the MQL decision to recycling. */
export const lifecycleMoves: readonly LeadCommandType[] = leadCommandsInLifecycleOrder.slice(
  leadCommandsInLifecycleOrder.indexOf('QualifyLeadAsMql'),
  leadCommandsInLifecycleOrder.indexOf('RecycleLead') + 1,
);
