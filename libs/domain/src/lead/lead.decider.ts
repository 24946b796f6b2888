/**
 * The Lead decider: given the lead's state and the shared dictionary in force,
 * which events does a command produce? Pure — no clock, no ids, no I/O — so every
 * rule below has a given/when/then spec. Violations throw typed domain errors.
 */
import { LeadNotFoundError, LifecycleViolationError, RuleViolationError } from '../errors';
import type { FunnelDefinition } from '../rules/funnel-definition';
import { evaluateMql, slaDueAt } from '../rules/scoring';
import type { LeadCommand } from './lead.commands';
import type { LeadEvent } from './lead.events';
import type { LeadState, LeadStatus } from './lead.state';

export interface DecisionContext {
  readonly leadId: string;
  /** The active funnel definition: automated decisions record its version. */
  readonly definition: FunnelDefinition;
  /** Business time of the command (ISO-8601). */
  readonly now: string;
}

const recyclableFrom: readonly LeadStatus[] = ['mql', 'rejected', 'accepted', 'sql', 'lost'];

function requireStatus(
  state: LeadState,
  command: LeadCommand['type'],
  allowed: readonly LeadStatus[],
  detail: string,
): void {
  if (!allowed.includes(state.status)) {
    throw new LifecycleViolationError(command, state.status, detail);
  }
}

function requireOpportunity(state: LeadState, command: LeadCommand['type']) {
  requireStatus(state, command, ['opportunity'], 'there is no open opportunity');
  if (state.opportunity === null) {
    throw new LifecycleViolationError(command, state.status, 'there is no open opportunity');
  }
  return state.opportunity;
}

export function decideLead(
  command: LeadCommand,
  state: LeadState,
  context: DecisionContext,
): LeadEvent[] {
  const { definition } = context;

  if (command.type === 'CaptureLead') {
    if (state.status !== 'initial') {
      throw new LifecycleViolationError(
        command.type,
        state.status,
        'the lead was already captured',
      );
    }
    return [{ type: 'LeadCaptured', data: command.data }];
  }
  if (state.status === 'initial') throw new LeadNotFoundError(context.leadId);
  if (state.status === 'erased') {
    throw new LifecycleViolationError(
      command.type,
      state.status,
      'nothing is accepted after the lead was erased',
    );
  }
  if (state.status === 'merged' && command.type !== 'EraseLead') {
    throw new LifecycleViolationError(
      command.type,
      state.status,
      'the lead was merged into another lead; act on that one',
    );
  }

  switch (command.type) {
    case 'RecordTouchpoint':
      return [{ type: 'TouchpointRecorded', data: command.data }];

    case 'ProfileLead':
      return [{ type: 'LeadProfiled', data: command.data }];

    case 'QualifyLeadAsMql': {
      requireStatus(
        state,
        command.type,
        ['nurturing'],
        'only a lead in nurturing can become an MQL',
      );
      const evaluation = evaluateMql(definition, state.facts, context.now);
      if (!evaluation.qualifies) {
        throw new RuleViolationError(
          `lead does not meet the MQL criteria of rules version ${definition.version}`,
          evaluation.reasons,
        );
      }
      return [
        {
          type: 'LeadQualifiedAsMql',
          data: {
            rulesVersion: definition.version,
            fitScore: evaluation.fitScore,
            intentScore: evaluation.intentScore,
            score: evaluation.score,
            threshold: evaluation.threshold,
            reasons: evaluation.reasons,
          },
        },
      ];
    }

    case 'HandLeadToSales':
      requireStatus(state, command.type, ['mql'], 'only an MQL can be handed to sales');
      return [
        {
          type: 'LeadHandedToSales',
          data: {
            owner: command.data.owner,
            team: command.data.team,
            slaDueAt: slaDueAt(definition, context.now),
            rulesVersion: definition.version,
          },
        },
      ];

    case 'AcceptLead':
      requireStatus(
        state,
        command.type,
        ['handed_to_sales'],
        'sales can accept only a lead handed to sales',
      );
      return [
        {
          type: 'LeadAcceptedBySales',
          data: { owner: state.owner ?? '', note: command.data.note },
        },
      ];

    case 'RejectLead': {
      requireStatus(
        state,
        command.type,
        ['handed_to_sales'],
        'sales can reject only a lead handed to sales',
      );
      const known = definition.rejectionReasons.map((reason) => reason.code);
      if (!known.includes(command.data.reason)) {
        throw new RuleViolationError(
          `rejection reason ${command.data.reason} is not in the shared list (${known.join(', ')})`,
        );
      }
      return [
        {
          type: 'LeadRejectedBySales',
          data: { owner: state.owner ?? '', reason: command.data.reason, note: command.data.note },
        },
      ];
    }

    case 'QualifyLeadAsSql': {
      requireStatus(state, command.type, ['accepted'], 'sales must accept the lead before SQL');
      const unknown = command.data.criteriaMet.filter((c) => !definition.sql.criteria.includes(c));
      if (unknown.length > 0) {
        throw new RuleViolationError(`unknown SQL criteria: ${unknown.join(', ')}`);
      }
      const met = new Set(command.data.criteriaMet);
      if (met.size < definition.sql.minimumMet) {
        throw new RuleViolationError(
          `SQL needs at least ${definition.sql.minimumMet} of ${definition.sql.criteria.join(', ')}; ${met.size} met`,
        );
      }
      return [
        {
          type: 'LeadQualifiedAsSql',
          data: { criteriaMet: [...met].sort(), rulesVersion: definition.version },
        },
      ];
    }

    case 'OpenOpportunity':
      requireStatus(state, command.type, ['sql'], 'an opportunity opens only for an SQL');
      if (!definition.opportunityStages.includes(command.data.stage)) {
        throw new RuleViolationError(
          `opportunity stage ${command.data.stage} is not one of ${definition.opportunityStages.join(', ')}`,
        );
      }
      return [{ type: 'OpportunityOpened', data: command.data }];

    case 'ChangeOpportunityStage': {
      const opportunity = requireOpportunity(state, command.type);
      if (!definition.opportunityStages.includes(command.data.to)) {
        throw new RuleViolationError(
          `opportunity stage ${command.data.to} is not one of ${definition.opportunityStages.join(', ')}`,
        );
      }
      if (command.data.to === opportunity.stage) {
        throw new RuleViolationError(`the opportunity is already in stage ${opportunity.stage}`);
      }
      return [
        {
          type: 'OpportunityStageChanged',
          data: {
            opportunityId: opportunity.id,
            from: opportunity.stage,
            to: command.data.to,
            amount: command.data.amount ?? opportunity.amount,
          },
        },
      ];
    }

    case 'WinDeal': {
      const opportunity = requireOpportunity(state, command.type);
      return [
        {
          type: 'DealWon',
          data: {
            opportunityId: opportunity.id,
            amount: command.data.amount ?? opportunity.amount,
            currency: opportunity.currency,
          },
        },
      ];
    }

    case 'LoseDeal': {
      const opportunity = requireOpportunity(state, command.type);
      const known = definition.lossReasons.map((reason) => reason.code);
      if (!known.includes(command.data.reason)) {
        throw new RuleViolationError(
          `loss reason ${command.data.reason} is not in the shared list (${known.join(', ')})`,
        );
      }
      return [
        {
          type: 'DealLost',
          data: {
            opportunityId: opportunity.id,
            reason: command.data.reason,
            note: command.data.note,
          },
        },
      ];
    }

    case 'RecycleLead':
      requireStatus(
        state,
        command.type,
        recyclableFrom,
        `a lead can be recycled only from ${recyclableFrom.join(', ')}`,
      );
      return [{ type: 'LeadRecycled', data: { from: state.status, reason: command.data.reason } }];

    case 'MergeLead':
      if (command.data.intoLeadId === context.leadId) {
        throw new RuleViolationError('a lead cannot be merged into itself');
      }
      return [{ type: 'LeadMerged', data: { intoLeadId: command.data.intoLeadId } }];

    case 'EraseLead':
      return [{ type: 'LeadErased', data: { reason: command.data.reason } }];
  }
}
