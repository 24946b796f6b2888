/**
 * The Lead decider: given the lead's state and the shared dictionary in force,
 * which events does a command produce? Pure — no clock, no ids, no I/O — so every
 * rule below has a given/when/then spec. Violations throw typed domain errors.
 */
import {
  LeadAlreadyCapturedError,
  LeadNotFoundError,
  LifecycleViolationError,
  mergedAwayError,
  RuleViolationError,
  TouchpointConflictError,
} from '../errors';
import {
  type FunnelDefinition,
  type LifecycleStatus,
  lifecycleStatuses,
} from '../rules/funnel-definition';
import { evaluateMql, slaDueAt } from '../rules/scoring';
import { type LeadCommand, lifecycleMoves, type RecordTouchpoint } from './lead.commands';
import { isPersonalGiven } from './lead.personal-data';
import { isSameText } from '../text';
import type { LeadEvent, LeadHandedToSales } from './lead.events';
import type { LeadState, LeadStatus } from './lead.state';

export interface DecisionContext {
  readonly leadId: string;
  /** The active funnel definition: automated decisions record its version. */
  readonly definition: FunnelDefinition;
  /** Business time of the command (ISO-8601). */
  readonly now: string;
}

/**
 * How a refusal speaks of a status: `lead` names a lead in it ("an MQL"),
 * `first` says what must have happened for a lead to be there.
 */
const wording: Record<LifecycleStatus, { readonly lead: string; readonly first: string }> = {
  nurturing: { lead: 'a lead in nurturing', first: 'the lead must be in nurturing' },
  mql: { lead: 'an MQL', first: 'the lead must qualify as an MQL' },
  handed_to_sales: { lead: 'a lead handed to sales', first: 'the lead must be handed to sales' },
  accepted: { lead: 'a lead accepted by sales', first: 'sales must accept the lead' },
  rejected: { lead: 'a lead rejected by sales', first: 'sales must reject the lead' },
  sql: { lead: 'an SQL', first: 'the lead must qualify as an SQL' },
  opportunity: { lead: 'an open opportunity', first: 'an opportunity must be open' },
  won: { lead: 'a won deal', first: 'the deal must be won' },
  lost: { lead: 'a lost deal', first: 'the deal must be lost' },
};
const leads = (from: readonly LifecycleStatus[]) => from.map((s) => wording[s].lead).join(' or ');
const firsts = (from: readonly LifecycleStatus[]) => from.map((s) => wording[s].first).join(' or ');

/** Per target status: the sentence saying which statuses may move there. */
const onlyFrom: Record<LifecycleStatus, (from: readonly LifecycleStatus[]) => string> = {
  nurturing: (from) => `a lead can be recycled only from ${from.join(', ')}`,
  mql: (from) => `only ${leads(from)} can become an MQL`,
  handed_to_sales: (from) => `only ${leads(from)} can be handed to sales`,
  accepted: (from) => `sales can accept only ${leads(from)}`,
  rejected: (from) => `sales can reject only ${leads(from)}`,
  sql: (from) => `${firsts(from)} before SQL`,
  opportunity: (from) => `an opportunity opens only for ${leads(from)}`,
  won: (from) => `only ${leads(from)} can be won`,
  lost: (from) => `only ${leads(from)} can be lost`,
};

/**
 * The lifecycle move a command makes must be one the definition in force allows
 * from the lead's status. The refusal says both where the target can be reached
 * from and where this lead may go, under which rules version.
 */
function requireTransition(
  state: LeadState,
  command: LeadCommand['type'],
  definition: FunnelDefinition,
  to: LifecycleStatus,
): void {
  const { transitions, version } = definition;
  const allowed = transitions.find((transition) => transition.from === state.status)?.to ?? [];
  if (allowed.includes(to)) return;
  const sources = lifecycleStatuses.filter((from) =>
    transitions.some((t) => t.from === from && t.to.includes(to)),
  );
  const why = sources.length === 0 ? `no status may move to ${to}` : onlyFrom[to](sources);
  const exits =
    allowed.length === 0
      ? `rules version ${version} allows no transition from ${state.status}`
      : `rules version ${version} allows ${state.status} → ${allowed.join(', ')}`;
  throw new LifecycleViolationError(command, state.status, `${why} (${exits})`);
}

/** A deal is won or lost on the open opportunity; the move itself is a transition. */
function requireOpportunity(
  state: LeadState,
  command: LeadCommand['type'],
  definition: FunnelDefinition,
  to: LifecycleStatus,
) {
  if (state.opportunity === null) {
    throw new LifecycleViolationError(command, state.status, 'there is no open opportunity');
  }
  requireTransition(state, command, definition, to);
  return state.opportunity;
}

/** Sales answer for a lead they own: accepting or rejecting needs the owner of the hand-off. */
function requireOwner(state: LeadState, command: LeadCommand['type']): string {
  if (state.owner === null) {
    throw new LifecycleViolationError(
      command,
      state.status,
      'the lead has no owner in sales; hand it to sales first',
    );
  }
  return state.owner;
}

/**
 * Commands that move the lead along its lifecycle. Touchpoints and profile facts may be
 * reported late, dated before the lead's last stage change; merge and erasure are
 * administrative and keep the time they are recorded at.
 */
const lifecycleCommands: ReadonlySet<LeadCommand['type']> = new Set(lifecycleMoves);

/**
 * A lifecycle fact cannot be dated before the one it follows: an acceptance before the
 * hand-off would count as inside the SLA with a negative response time, a win before the
 * opportunity would have a negative cycle. Facts of one instant are in order.
 */
function requireInTimeOrder(command: LeadCommand, state: LeadState, now: string): void {
  if (!lifecycleCommands.has(command.type) || state.stageSince === null) return;
  if (Date.parse(now) >= Date.parse(state.stageSince)) return;
  throw new RuleViolationError(
    `occurredAt ${now} is before the lead's last stage change at ${state.stageSince}: ` +
      'a lifecycle fact cannot be dated before the one it follows',
  );
}

/**
 * A touchpoint id is recorded once per lead, as the visitor decider does for anonymous touches:
 * a client retrying a POST that timed out (without an Idempotency-Key) must not count the touch
 * twice in intent and attribution. The same touch again decides nothing; other facts under the
 * same id are refused. The content is sealed in the store, so only whether it was given
 * compares; the time does not (a retry without occurredAt happens at another "now"). Text
 * compares in NFC (isSameText): a touch recorded decomposed before the API took text in NFC,
 * retried now, arrives composed and is the same touch.
 * Only new commands are held to it: stored duplicates still fold and project as before.
 */
function isRecorded(command: RecordTouchpoint, state: LeadState): boolean {
  const { touchpointId, kind, channel, campaign, content } = command.data;
  // A touch of a lead merged into this one counts as held here too (ADR 0016): a retry sent to
  // the survivor, while the views keep counting it once, on the duplicate.
  const recorded =
    state.facts.touchpoints.find((touch) => touch.touchpointId === touchpointId) ??
    state.mergedTouchpoints.find((touch) => touch.touchpointId === touchpointId);
  if (recorded === undefined) return false;
  const differences = [
    recorded.kind === kind ? null : `kind ${recorded.kind}`,
    isSameText(recorded.channel, channel) ? null : `channel ${recorded.channel}`,
    isSameText(recorded.campaign, campaign) ? null : `campaign ${recorded.campaign ?? 'none'}`,
    recorded.contentGiven === isPersonalGiven(content)
      ? null
      : recorded.contentGiven
        ? 'content'
        : 'no content',
  ].filter((difference) => difference !== null);
  if (differences.length === 0) return true;
  throw new TouchpointConflictError(touchpointId, differences.join(', '));
}

/** A code the command names must be one of the dictionary's shared list (sources, reasons). */
function requireListed(what: string, code: string, list: readonly { readonly code: string }[]) {
  const codes = list.map((entry) => entry.code);
  if (!codes.includes(code)) {
    throw new RuleViolationError(`${what} ${code} is not in the shared list (${codes.join(', ')})`);
  }
}

/** The hand-off to sales, on either path: the owner it went to, its SLA due time under these rules. */
function handedToSales(
  to: { readonly owner: string; readonly team: string | null },
  definition: FunnelDefinition,
  now: string,
  entry: Pick<LeadHandedToSales['data'], 'path' | 'salesSource'> = {},
): LeadHandedToSales {
  return {
    type: 'LeadHandedToSales',
    data: {
      owner: to.owner,
      team: to.team,
      slaDueAt: slaDueAt(definition, now),
      rulesVersion: definition.version,
      ...entry,
    },
  };
}

export function decideLead(
  command: LeadCommand,
  state: LeadState,
  context: DecisionContext,
): LeadEvent[] {
  const { definition } = context;

  if (command.type === 'CaptureLead') {
    // An erased lead takes nothing, a capture under its id neither (no new key, no new value
    // sealed under an id whose key was shredded): the erasure's answer, not "captured".
    if (state.status === 'erased') {
      throw new LifecycleViolationError(
        command.type,
        state.status,
        'nothing is accepted after the lead was erased',
      );
    }
    if (state.status !== 'initial') throw new LeadAlreadyCapturedError(context.leadId);
    return [{ type: 'LeadCaptured', data: command.data }];
  }
  if (state.status === 'initial') throw new LeadNotFoundError(context.leadId);
  // Erasing an erased lead again (a retry, or a lead already erased with another of its person's
  // leads) is the success it was: nothing to write.
  if (state.status === 'erased' && command.type === 'EraseLead') return [];
  if (state.status === 'erased') {
    throw new LifecycleViolationError(
      command.type,
      state.status,
      'nothing is accepted after the lead was erased',
    );
  }
  // A touch the lead recorded before it was merged away, sent again (a retry that timed out
  // around the merge): answered as the success it was, never refused into being re-sent to the
  // survivor, where it would be counted a second time. Only a touch it holds: a new one is
  // refused below, as every other command is.
  if (
    state.status === 'merged' &&
    command.type === 'RecordTouchpoint' &&
    isRecorded(command, state)
  ) {
    return [];
  }
  // The same merge again (a retry whose Idempotency-Key expired, or one sent without a key) is
  // the success it was: the lead already points at that survivor.
  if (
    state.status === 'merged' &&
    command.type === 'MergeLead' &&
    state.mergedInto === command.data.intoLeadId
  ) {
    return [];
  }
  if (state.status === 'merged' && command.type !== 'EraseLead') {
    throw mergedAwayError(command.type, state.mergedInto);
  }

  requireInTimeOrder(command, state, context.now);

  switch (command.type) {
    case 'RecordTouchpoint':
      return isRecorded(command, state) ? [] : [{ type: 'TouchpointRecorded', data: command.data }];

    case 'ProfileLead':
      return [{ type: 'LeadProfiled', data: command.data }];

    case 'QualifyLeadAsMql': {
      requireTransition(state, command.type, definition, 'mql');
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
      requireTransition(state, command.type, definition, 'handed_to_sales');
      return [handedToSales(command.data, definition, context.now)];

    case 'HandLeadToSalesDirectly': {
      // The sales-sourced path: a lead sales found themselves (an event contact, a referral,
      // outbound) enters sales without an MQL. Only a definition that declares the path allows
      // it, only from nurturing (an MQL goes on the marketing path), and only from a declared
      // source, so the views can tell the two paths apart and never count this one as MQL.
      const entry = definition.salesSourced;
      if (entry === undefined) {
        throw new RuleViolationError(
          `rules version ${definition.version} has no sales-sourced path: a lead reaches sales only as an MQL`,
        );
      }
      if (state.status !== 'nurturing') {
        throw new LifecycleViolationError(
          command.type,
          state.status,
          state.status === 'mql'
            ? 'an MQL is handed to sales on the marketing path (HandLeadToSales)'
            : 'only a lead in nurturing can go to sales directly',
        );
      }
      requireListed('sales source', command.data.source, entry.sources);
      return [
        handedToSales(command.data, definition, context.now, {
          path: 'sales_sourced',
          salesSource: command.data.source,
        }),
      ];
    }

    case 'AcceptLead': {
      requireTransition(state, command.type, definition, 'accepted');
      const owner = requireOwner(state, command.type);
      return [{ type: 'LeadAcceptedBySales', data: { owner, note: command.data.note } }];
    }

    case 'RejectLead': {
      requireTransition(state, command.type, definition, 'rejected');
      const owner = requireOwner(state, command.type);
      requireListed('rejection reason', command.data.reason, definition.rejectionReasons);
      return [
        {
          type: 'LeadRejectedBySales',
          data: { owner, reason: command.data.reason, note: command.data.note },
        },
      ];
    }

    case 'QualifyLeadAsSql': {
      requireTransition(state, command.type, definition, 'sql');
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
      // The open opportunity's own id again is its opening sent again (a retry whose
      // Idempotency-Key expired names the id derived from it): done already, nothing to write.
      // Its stage and amount may have moved since, so they are not compared.
      if (state.opportunity?.id === command.data.opportunityId) return [];
      requireTransition(state, command.type, definition, 'opportunity');
      if (!definition.opportunityStages.includes(command.data.stage)) {
        throw new RuleViolationError(
          `opportunity stage ${command.data.stage} is not one of ${definition.opportunityStages.join(', ')}`,
        );
      }
      return [{ type: 'OpportunityOpened', data: command.data }];

    case 'ChangeOpportunityStage': {
      // Not a lifecycle move: the lead stays in opportunity, only its stage changes.
      if (state.status !== 'opportunity' || state.opportunity === null) {
        throw new LifecycleViolationError(
          command.type,
          state.status,
          'there is no open opportunity',
        );
      }
      const { opportunity } = state;
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
      const opportunity = requireOpportunity(state, command.type, definition, 'won');
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
      const opportunity = requireOpportunity(state, command.type, definition, 'lost');
      requireListed('loss reason', command.data.reason, definition.lossReasons);
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
      requireTransition(state, command.type, definition, 'nurturing');
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

/**
 * Why a lead cannot be merged into `intoLeadId`, whose status is `status`, or null when it
 * can: a merge must point the duplicate at a live lead, and one merged away or erased accepts
 * nothing (A into B after B into A would leave no survivor). The API (a 422) and the import
 * (a refused row) give the same reason. A survivor never captured is the caller's to say.
 */
export function mergeSurvivorRefusal(intoLeadId: string, status: LeadStatus): string | null {
  if (status === 'merged') {
    return `lead ${intoLeadId} was itself merged into another lead: merge into the lead it was merged into`;
  }
  if (status === 'erased') {
    return `lead ${intoLeadId} was erased: a lead cannot be merged into an erased lead`;
  }
  return null;
}
