/**
 * Typed domain errors. The domain never knows about HTTP: the API maps each
 * class to a status code once, at its edge.
 */

export abstract class DomainError extends Error {
  abstract readonly code: string;
  constructor(message: string) {
    super(message);
    this.name = new.target.name;
  }
}

/**
 * The most problems one refusal names. A body can hold a mistake per array entry or key:
 * 200,000 empty strings (600 KB) were named one by one, a 100 MB answer and as long a log line,
 * built for seconds on the event loop (audit h3). The first ones show what is wrong; the rest
 * are counted.
 */
export const MAX_NAMED_PROBLEMS = 100;

/** The first MAX_NAMED_PROBLEMS of `problems`, and them in words, with how many more there are. */
export function namedProblems<T>(
  problems: readonly T[],
  describe: (problem: T) => string,
): { readonly named: readonly T[]; readonly words: string } {
  const named = problems.slice(0, MAX_NAMED_PROBLEMS);
  const words = named.map(describe).join('; ');
  const more = problems.length - named.length;
  return { named, words: more > 0 ? `${words}; and ${more} more` : words };
}

/** The command is not allowed in the lead's current lifecycle stage. */
export class LifecycleViolationError extends DomainError {
  readonly code = 'lifecycle_violation';
  constructor(
    readonly command: string,
    readonly status: string,
    detail: string,
  ) {
    super(`${command} is not allowed while the lead is ${status}: ${detail}`);
  }
}

/**
 * A command to a lead merged into another: refused as every lifecycle violation is (the same
 * code), naming the survivor, so a client can send it there without reading the timeline.
 */
export class LeadMergedAwayError extends LifecycleViolationError {
  constructor(
    command: string,
    readonly mergedInto: string,
  ) {
    super(command, 'merged', `the lead was merged into lead ${mergedInto}; act on that one`);
  }
}

/** A lead merged away before its state named the survivor (a state built by hand, in tests). */
export function mergedAwayError(command: string, mergedInto: string | null): DomainError {
  return mergedInto === null
    ? new LifecycleViolationError(
        command,
        'merged',
        'the lead was merged into another lead; act on that one',
      )
    : new LeadMergedAwayError(command, mergedInto);
}

/**
 * A capture of a lead that exists: a retry of the capture that made it (its Idempotency-Key
 * expired, so the id derived from it names that lead again, ADR 0007), or an id the client
 * chose that is taken. Names the lead, so a client that lost the first answer learns its id.
 */
export class LeadAlreadyCapturedError extends DomainError {
  readonly code = 'lead_already_captured';
  constructor(readonly leadId: string) {
    super(`lead ${leadId} was already captured; nothing was recorded again`);
  }
}

/** The lead does not exist (no LeadCaptured yet). */
export class LeadNotFoundError extends DomainError {
  readonly code = 'lead_not_found';
  constructor(readonly leadId: string) {
    super(`lead ${leadId} does not exist`);
  }
}

/** No funnel definition was published under this version. */
export class DefinitionVersionNotFoundError extends DomainError {
  readonly code = 'definition_version_not_found';
  constructor(readonly version: number) {
    super(`funnel definition version ${version} has not been published`);
  }
}

/**
 * An activation conditioned on the version in force (`expectedActiveVersion`) found another
 * one there: typically a late retry after someone activated another version, which would
 * otherwise silently roll it back. Names the version in force.
 */
export class ActiveVersionChangedError extends DomainError {
  readonly code = 'active_version_changed';
  constructor(
    readonly version: number,
    readonly expectedActiveVersion: number,
    readonly activeVersion: number | null,
  ) {
    super(
      `version ${version} was not activated: the request expected version ${expectedActiveVersion} in force, but ${activeVersion === null ? 'none is' : `version ${activeVersion} is`} (activated since); nothing was recorded`,
    );
  }
}

/**
 * An activation conditioned on the activation in force (`expectedActivationId`) found another
 * one there, even of the same version (activated, replaced and activated again since). Names
 * the activation in force and its version.
 */
export class ActivationChangedError extends DomainError {
  readonly code = 'activation_changed';
  constructor(
    readonly version: number,
    readonly expectedActivationId: string,
    readonly activeVersion: number | null,
    readonly activationId: string | null,
  ) {
    super(
      `version ${version} was not activated: the request expected activation ${expectedActivationId} in force, but ${activationId === null ? 'none is' : `activation ${activationId} (version ${activeVersion ?? '?'}) is`} (activated since); nothing was recorded`,
    );
  }
}

/** The command is well-formed but breaks a rule of the shared dictionary. */
export class RuleViolationError extends DomainError {
  readonly code = 'rule_violation';
  constructor(
    message: string,
    readonly reasons: readonly string[] = [],
  ) {
    super(message);
  }
}

/**
 * A touchpoint id the lead already recorded, sent again with other facts: not a retry of that
 * touch (which is answered without a new event), and not a new touch either, for the id is taken.
 */
export class TouchpointConflictError extends DomainError {
  readonly code = 'touchpoint_conflict';
  constructor(
    readonly touchpointId: string,
    detail: string,
  ) {
    super(`touchpoint ${touchpointId} was already recorded on this lead with ${detail}`);
  }
}

/**
 * A spend id already recorded with other facts (another campaign, channel, amount, currency or
 * day): the client's id names another spend. Names the event that holds the id.
 */
export class SpendConflictError extends DomainError {
  readonly code = 'spend_conflict';
  constructor(
    readonly spendId: string,
    readonly eventId: string,
    detail: string,
  ) {
    super(`spend ${spendId} was already recorded (event ${eventId}) with ${detail}`);
  }
}

/** A funnel definition draft that fails validation; `issues` name each field. */
export class InvalidDefinitionError extends DomainError {
  readonly code = 'invalid_definition';
  /** The first MAX_NAMED_PROBLEMS issues; the message counts the others. */
  readonly issues: readonly { path: string; message: string }[];
  constructor(issues: readonly { path: string; message: string }[]) {
    const { named, words } = namedProblems(issues, (issue) => `${issue.path}: ${issue.message}`);
    super(`invalid funnel definition: ${words}`);
    this.issues = named;
  }
}

/** The actor's role may not issue this command. */
export class ForbiddenError extends DomainError {
  readonly code = 'forbidden';
  constructor(
    readonly role: string,
    readonly command: string,
  ) {
    super(`role ${role} may not ${command}`);
  }
}
