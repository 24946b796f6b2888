/**
 * The life of a rule set as one pure state machine (ADR 0005): its build status
 * (pending → building → ready) and its kind (shadow → published), and whether it may be
 * activated. Writers of rule_sets (the projector's registration, replays, publication of a
 * what-if draft, the API's apply) ask `transition` for the next state instead of spelling the
 * rules themselves, so the rules live here once and have specs.
 *
 * Pure: no ClickHouse, no clock. An illegal step is a RuleSetTransitionError with a code, for
 * the HTTP edge to map, never a silently written row.
 */
import { factsOutdated, ruleFactsVersion } from './rule-facts-version';
import type { RuleSetKind, RuleSetStatus } from './rule-sets';

export interface RuleSetLifecycle {
  readonly kind: RuleSetKind;
  readonly status: RuleSetStatus;
}

export type RuleSetEvent =
  /**
   * The projector met a FunnelDefinitionPublished. New set: complete by construction when no
   * lead event is projected yet (every one will be computed as it arrives), else it waits for a
   * replay. Known set: a what-if's shadow published unchanged becomes the published set, rows,
   * status and all; redelivery changes nothing.
   */
  | { readonly type: 'registered'; readonly historyEmpty: boolean }
  /** A replay starts, or resumes after a crash; `kind` is what the caller asked for a new set. */
  | { readonly type: 'replay_started'; readonly kind: RuleSetKind }
  /** A replay covered every lead present at its start. */
  | { readonly type: 'replay_finished' }
  /**
   * The set's rows were computed by other code than the running one (a deploy changed the
   * classifier or the rules pass): whatever its status, it waits for a replay from its first
   * lead, as a set registered over a history does. Its kind stays.
   */
  | { readonly type: 'facts_outdated' };

export type RuleSetTransitionCode =
  | 'already_ready'
  | 'not_building'
  | 'not_ready'
  /** Ready, but its rows were computed by other code than this build's (ADR 0005). */
  | 'facts_outdated';

export class RuleSetTransitionError extends Error {
  constructor(
    readonly code: RuleSetTransitionCode,
    readonly from: RuleSetLifecycle | null,
    message: string,
  ) {
    super(message);
    this.name = 'RuleSetTransitionError';
  }
}

const describe = (state: RuleSetLifecycle | null) =>
  state === null ? 'not registered' : `${state.status} (${state.kind})`;

/** The next state of a set (`null`: not registered yet), or a RuleSetTransitionError. */
export function transition(state: RuleSetLifecycle, event: RuleSetEvent): RuleSetLifecycle;
export function transition(
  state: RuleSetLifecycle | null,
  event: Exclude<RuleSetEvent, { type: 'facts_outdated' }>,
): RuleSetLifecycle;
export function transition(
  state: RuleSetLifecycle | null,
  event: RuleSetEvent,
): RuleSetLifecycle | null {
  switch (event.type) {
    case 'registered':
      if (state === null)
        return { kind: 'published', status: event.historyEmpty ? 'ready' : 'pending' };
      return state.kind === 'published' ? state : { ...state, kind: 'published' };
    case 'replay_started':
      if (state === null) return { kind: event.kind, status: 'building' };
      if (state.status === 'ready') {
        throw new RuleSetTransitionError(
          'already_ready',
          state,
          'the rule set is ready: there is nothing to replay',
        );
      }
      // A resumed replay keeps the kind the set has (a published set never turns shadow).
      return { ...state, status: 'building' };
    case 'replay_finished':
      if (state?.status !== 'building') {
        throw new RuleSetTransitionError(
          'not_building',
          state,
          `a replay can only finish a building rule set; this one is ${describe(state)}`,
        );
      }
      return { ...state, status: 'ready' };
    case 'facts_outdated':
      return state === null ? null : { ...state, status: 'pending' };
  }
}

/**
 * Whether the views may switch to the set: only a ready one, else its numbers would be partial.
 * Throws the reason (code `not_ready`) otherwise, naming `subject` and what to do.
 */
export function assertActivatable(
  state: RuleSetLifecycle | null,
  subject = 'the rule set',
  remedy = 'replay it first',
): void {
  if (state?.status === 'ready') return;
  throw new RuleSetTransitionError(
    'not_ready',
    state,
    `${subject} is ${state === null ? 'not replayed' : state.status}: its numbers would be partial; ${remedy}`,
  );
}

/**
 * Whether the set's rows are this build's (rule-facts-version.ts): 'ready' says every lead has
 * its row, not that this code computed it. A set whose rows other code computed (a deploy
 * changed the classifier or the rules pass, the re-derivation not done yet) answers other
 * numbers than a rebuild by this code would, so neither activation nor a what-if report takes
 * it. Throws the reason (code `facts_outdated`), naming `subject`, both versions and `remedy`.
 * A set not registered passes: assertActivatable refuses it first.
 */
export function assertFactsCurrent(
  state: (RuleSetLifecycle & { readonly factsVersion: string }) | null,
  subject = 'the rule set',
  remedy = 'replay it first',
): void {
  if (state === null || !factsOutdated(state)) return;
  throw new RuleSetTransitionError(
    'facts_outdated',
    { kind: state.kind, status: state.status },
    `${subject} holds rule-derived rows computed by other code (facts version ` +
      `${state.factsVersion === '' ? 'unrecorded' : state.factsVersion}, this build's is ` +
      `${ruleFactsVersion()}): its numbers are not this build's; ${remedy}`,
  );
}

/** True when `apply` has to replay the set before it can activate it. */
export const needsReplay = (state: RuleSetLifecycle | null): boolean => state?.status !== 'ready';
