/**
 * Who may write what. Marketing owns capture, nurturing and the hand-off; sales
 * owns everything after the hand-off; ops owns the dictionary, erasure and
 * merges. `system` is Tandem's own automation (imports, simulations, replays).
 */
import type { Role } from '../envelope';
import { ForbiddenError } from '../errors';
import type { LeadCommandType } from '../lead/lead.commands';

export type PlanningCommandType =
  'PublishFunnelDefinition' | 'ActivateFunnelDefinition' | 'SetTarget' | 'RecordCampaignSpend';
export type OpsCommandType = 'RebuildProjections';
export type VisitorCommandType = 'RecordAnonymousTouchpoint';
export type CommandType =
  LeadCommandType | PlanningCommandType | OpsCommandType | VisitorCommandType;

const permissions: Record<CommandType, readonly Role[]> = {
  CaptureLead: ['marketing', 'ops', 'system'],
  RecordTouchpoint: ['marketing', 'sales', 'ops', 'system'],
  // Web visits and ad clicks before capture: marketing's tracking, or Tandem's own import.
  RecordAnonymousTouchpoint: ['marketing', 'ops', 'system'],
  ProfileLead: ['marketing', 'sales', 'ops', 'system'],
  QualifyLeadAsMql: ['marketing', 'ops', 'system'],
  HandLeadToSales: ['marketing', 'ops', 'system'],
  // Sales-sourced leads reach sales without marketing: sales records them, marketing cannot
  // use this path to skip the MQL.
  HandLeadToSalesDirectly: ['sales', 'ops', 'system'],
  AcceptLead: ['sales', 'ops', 'system'],
  RejectLead: ['sales', 'ops', 'system'],
  QualifyLeadAsSql: ['sales', 'ops', 'system'],
  OpenOpportunity: ['sales', 'ops', 'system'],
  ChangeOpportunityStage: ['sales', 'ops', 'system'],
  WinDeal: ['sales', 'ops', 'system'],
  LoseDeal: ['sales', 'ops', 'system'],
  RecycleLead: ['marketing', 'sales', 'ops', 'system'],
  MergeLead: ['ops', 'system'],
  EraseLead: ['ops'],
  PublishFunnelDefinition: ['ops'],
  ActivateFunnelDefinition: ['ops'],
  SetTarget: ['marketing', 'sales', 'ops'],
  RecordCampaignSpend: ['marketing', 'ops', 'system'],
  RebuildProjections: ['ops'],
};

/** The roles that may issue `command`: what its HTTP route allows, so the two never differ. */
export function rolesAllowedTo(command: CommandType): readonly Role[] {
  return permissions[command];
}

export function mayIssue(role: Role, command: CommandType): boolean {
  return permissions[command].includes(role);
}

export function authorize(role: Role, command: CommandType): void {
  if (!mayIssue(role, command)) throw new ForbiddenError(role, command);
}
