/** The union of every event Tandem records, and its envelope. */
import type { Envelope, LeadEvent, PlanningEvent, VisitorEvent } from '@tandem/domain';

export type TandemEvent = LeadEvent | PlanningEvent | VisitorEvent;
export type TandemEnvelope = Envelope<TandemEvent>;
export type LeadEnvelope = Envelope<LeadEvent>;
