/**
 * RFC 9457 problem details: the one shape every error answer of the API has, and the one
 * mapping from errors (domain, event store, analytics, the request pipes, Nest's own
 * HttpException) to it. The exception filter and the Express middleware that answer before
 * Nest routes (header and body limits) both render through `sendProblem`, so a client reads
 * one shape whatever refused it.
 *
 * It must never let an error's class carry an HTTP status: the errors stay HTTP-free and the
 * statuses are decided here, once. An error it does not know is not a problem the client can
 * fix: `problemOf` returns null and the caller answers 500 without the error's words.
 */
import { STATUS_CODES } from 'node:http';
import { type HttpProblem, httpProblem, PROBLEM_CONTENT_TYPE } from '@tandem/http';
import { BadRequestException, HttpException } from '@nestjs/common';
import {
  InvalidCaptureWindowError,
  InvalidQueryParameterError,
  RuleSetNotFoundError,
  RuleSetTransitionError,
} from '@tandem/analytics';
import {
  ActivationChangedError,
  ActiveVersionChangedError,
  DefinitionVersionNotFoundError,
  DomainError,
  LeadMergedAwayError,
  ForbiddenError,
  InvalidDefinitionError,
  LeadAlreadyCapturedError,
  LeadNotFoundError,
  namedProblems,
  RuleViolationError,
  SpendConflictError,
  TouchpointConflictError,
} from '@tandem/domain';
import {
  ApiKeyNameTakenError,
  CheckpointConflictError,
  DuplicateEventIdError,
  ErasedLeadWriteError,
  KeyServiceUnavailableError,
  LeadKeyUnreadableError,
  InvalidAppendError,
  WrongExpectedRevisionError,
} from '@tandem/event-store';
import type { Request, Response } from 'express';
import { z } from 'zod';
import { LeadBusyError } from '../leads/lead-command.queue';

export { PROBLEM_CONTENT_TYPE, problemType } from '@tandem/http';

/** One offending value: the same shape for body, query, path and header problems. */
export const fieldProblemSchema = z.object({
  in: z.enum(['body', 'query', 'path', 'header']).describe('Where the value sits'),
  field: z
    .string()
    .describe('Dotted path inside the body (`contact.email`), or the parameter or header name'),
  message: z.string(),
});

export type FieldProblem = Readonly<z.infer<typeof fieldProblemSchema>>;
export type ProblemLocation = FieldProblem['in'];

/**
 * The documented shape of every error answer (the OpenAPI document's `Problem` schema);
 * extension members such as `reasons` and `retryAfterSeconds` may follow.
 */
export const problemSchema = z.looseObject({
  type: z.string().describe('URI of the kind of problem: tag:tandem,2026:problem:<code>'),
  title: z.string().describe("The HTTP status's reason phrase"),
  status: z.number().int().min(400).max(599),
  detail: z.string().describe('What went wrong with this request, in words'),
  instance: z.string().describe('The path of the request that met it'),
  code: z.string().describe('The last segment of `type`, for clients that switch on it'),
  errors: z.array(fieldProblemSchema).optional().describe('Each offending value, if any'),
  reasons: z.array(z.string()).optional().describe('Why a rule refused (422 rule_violation)'),
  retryAfterSeconds: z.number().optional().describe('As Retry-After (429, 503)'),
  mergedInto: z
    .string()
    .optional()
    .describe('The lead a merged-away lead was merged into: act on that one (422)'),
  leadId: z
    .string()
    .optional()
    .describe('The lead a capture found already captured (409 lead_already_captured)'),
  activeVersion: z
    .number()
    .int()
    .nullable()
    .optional()
    .describe(
      'The version in force when an activation expected another (409 active_version_changed, activation_changed)',
    ),
  activationId: z
    .string()
    .nullable()
    .optional()
    .describe(
      'The activation in force when an activation expected another (409 activation_changed): its event id',
    ),
  eventId: z
    .string()
    .optional()
    .describe(
      'The event a retry after its Idempotency-Key expired found recorded (409 already_recorded), ' +
        'or that holds a spend id sent with other facts (409 spend_conflict)',
    ),
  spendId: z
    .string()
    .optional()
    .describe('The spend id recorded before with other facts (409 spend_conflict)'),
  keyId: z
    .string()
    .optional()
    .describe('The active API key that holds the name a create asked for (409 api_key_exists)'),
});

/** A problem as the API answers it: libs/http's members, the offending values typed. */
export interface Problem extends HttpProblem {
  readonly errors?: readonly FieldProblem[];
}

/**
 * A request the pipes refuse before any handler runs: a body, query or path parameter that
 * does not validate. Thrown, not returned, so Nest stops at the pipe. Names at most
 * MAX_NAMED_PROBLEMS of them (libs/domain errors.ts), and counts the rest.
 */
export class InvalidRequestError extends Error {
  /** The first MAX_NAMED_PROBLEMS problems; the message counts the others. */
  readonly errors: readonly FieldProblem[];
  constructor(errors: readonly FieldProblem[]) {
    const { named, words } = namedProblems(errors, (error) => `${error.field}: ${error.message}`);
    super(`invalid request: ${words}`);
    this.name = 'InvalidRequestError';
    this.errors = named;
  }
}

export function problem(
  status: number,
  code: string,
  detail: string,
  extensions: Readonly<Record<string, unknown>> = {},
): Problem {
  return httpProblem(status, code, detail, extensions);
}

/**
 * Express refuses a path parameter that is not valid percent-encoding (`/leads/%ZZ/timeline`)
 * with a URIError, which Nest hands on as a bare BadRequestException: it was answered with the
 * code of its status, `bad_request`, which no client was told of (audit h3).
 */
const UNDECODABLE_PARAMETER = /^Failed to decode param /;

/** Retry-After of a 503 for a key service that did not answer: a blip, not an outage plan. */
const KEY_SERVICE_RETRY_SECONDS = 5;

/** The problem an error is, or null for an unexpected one (a bug or an outage: a 500). */
export function problemOf(error: unknown): Problem | null {
  if (error instanceof InvalidRequestError) {
    return problem(400, 'invalid_request', error.message, { errors: error.errors });
  }
  if (error instanceof BadRequestException && UNDECODABLE_PARAMETER.test(error.message)) {
    const message = 'not valid percent-encoding: % must be followed by two hex digits';
    return problem(400, 'invalid_request', `invalid request: the path is ${message}`, {
      errors: [{ in: 'path', field: '(path)', message }],
    });
  }
  if (error instanceof HttpException) return httpExceptionProblem(error);
  if (error instanceof LeadNotFoundError || error instanceof DefinitionVersionNotFoundError) {
    return problem(404, error.code, error.message);
  }
  if (error instanceof RuleSetNotFoundError) {
    return problem(404, 'rule_set_not_found', error.message);
  }
  // A rule-set lifecycle step the set's state forbids (activating one that is not ready).
  if (error instanceof RuleSetTransitionError) return problem(409, error.code, error.message);
  // An activation conditioned on the version in force found another: names the one in force.
  if (error instanceof ActiveVersionChangedError) {
    return problem(409, error.code, error.message, { activeVersion: error.activeVersion });
  }
  // The same, conditioned on one activation (expectedActivationId): names the one in force.
  if (error instanceof ActivationChangedError) {
    return problem(409, error.code, error.message, {
      activeVersion: error.activeVersion,
      activationId: error.activationId,
    });
  }
  // A touchpoint id already taken by another touch on this lead: the client's id clashes.
  if (error instanceof TouchpointConflictError) {
    return problem(409, error.code, error.message, { touchpointId: error.touchpointId });
  }
  // A spend id already recorded with other facts: names the event that holds it.
  if (error instanceof SpendConflictError) {
    return problem(409, error.code, error.message, {
      spendId: error.spendId,
      eventId: error.eventId,
    });
  }
  if (error instanceof ForbiddenError) return problem(403, error.code, error.message);
  if (error instanceof InvalidDefinitionError) {
    return problem(400, error.code, error.message, {
      errors: error.issues.map((issue): FieldProblem => ({
        in: 'body',
        field: issue.path,
        message: issue.message,
      })),
    });
  }
  // A capture of a lead that exists: names it, for a client whose first answer was lost.
  if (error instanceof LeadAlreadyCapturedError) {
    return problem(409, error.code, error.message, { leadId: error.leadId });
  }
  // A lead merged away: the survivor to act on instead, for a client to follow.
  if (error instanceof LeadMergedAwayError) {
    return problem(422, error.code, error.message, { mergedInto: error.mergedInto });
  }
  if (error instanceof RuleViolationError && error.reasons.length > 0) {
    return problem(422, error.code, error.message, { reasons: error.reasons });
  }
  // Lifecycle and rule violations, and any other refusal the domain decides.
  if (error instanceof DomainError) return problem(422, error.code, error.message);
  // A personal value for a lead whose key an erasure destroyed before recording LeadErased
  // (a person erased in several appends, or one stopped between them): refused as a command
  // on an erased lead is.
  if (error instanceof ErasedLeadWriteError) {
    return problem(422, 'lifecycle_violation', error.message);
  }
  // A personal value for a lead whose key row does not unwrap here: refused, not sealed under
  // a fresh key that would replace the row an operator can restore (docs/personal-data.md).
  if (error instanceof LeadKeyUnreadableError) {
    return problem(422, 'lead_key_unreadable', error.message, { leadId: error.leadId });
  }
  // The key service did not answer an unwrap: nothing is known of the key, so neither withheld
  // nor refused; the same request can be sent again.
  if (error instanceof KeyServiceUnavailableError) {
    return problem(503, 'key_service_unavailable', error.message, {
      retryAfterSeconds: KEY_SERVICE_RETRY_SECONDS,
    });
  }
  // The API mints random event ids, except under an Idempotency-Key, where they derive from
  // it (key-derived-ids.ts): an id already recorded is this request, carried out before.
  if (error instanceof DuplicateEventIdError) {
    return problem(
      409,
      'already_recorded',
      `${error.message}: a request under this Idempotency-Key was carried out before (this one, whose stored answer has expired, or another: a key names one request); nothing was recorded again`,
      { eventId: error.eventId },
    );
  }
  // A create under a name an active key holds: names the key, never a secret (ADR 0007).
  if (error instanceof ApiKeyNameTakenError) {
    return problem(
      409,
      'api_key_exists',
      `${error.message}: a create is not repeated (its secret is shown once); revoke that key if its secret was lost, or choose another name`,
      { keyId: error.keyId },
    );
  }
  if (error instanceof WrongExpectedRevisionError || error instanceof CheckpointConflictError) {
    return problem(409, 'conflict', error.message);
  }
  if (error instanceof LeadBusyError) {
    return problem(429, error.code, error.message, {
      retryAfterSeconds: error.retryAfterSeconds,
    });
  }
  if (error instanceof InvalidAppendError) return problem(400, 'invalid_append', error.message);
  if (error instanceof InvalidCaptureWindowError || error instanceof InvalidQueryParameterError) {
    // The zod query schemas refuse these first; this keeps a gap between the two a 400.
    // Their messages start with the parameter's name.
    const field = /^(\w+)/.exec(error.message)?.[1] ?? '(query)';
    return problem(400, 'invalid_request', `invalid request: ${error.message}`, {
      errors: [{ in: 'query', field, message: error.message }],
    });
  }
  return null;
}

/** Nest's own exceptions (and ours built on them): their status, their words, their code. */
function httpExceptionProblem(error: HttpException): Problem {
  const status = error.getStatus();
  const answer = error.getResponse();
  if (typeof answer === 'string') return problem(status, codeOfStatus(status), answer);
  const {
    statusCode: _statusCode,
    error: _error,
    message,
    code,
    ...extensions
  } = answer as Record<string, unknown>;
  const detail = Array.isArray(message)
    ? message.map(String).join('; ')
    : typeof message === 'string'
      ? message
      : (STATUS_CODES[status] ?? 'error');
  return problem(
    status,
    typeof code === 'string' ? code : codeOfStatus(status),
    detail,
    extensions,
  );
}

/**
 * `Not Found` → `not_found`: the code of an exception that names none; a 400 is
 * `invalid_request`, the code the README gives a request the API cannot take as sent.
 */
const codeOfStatus = (status: number): string =>
  status === 400
    ? 'invalid_request'
    : (STATUS_CODES[status] ?? 'error').toLowerCase().replace(/[^a-z0-9]+/g, '_');

/** The 500 answer: the error's own words stay in the log, never in the response. */
export const internalProblem = (): Problem =>
  problem(500, 'internal_error', 'internal error; the server log has the details');

/**
 * Writes the problem with `instance` set to the request's path and the headers it implies
 * (Retry-After for a 429 that knows when). Headers set before (WWW-Authenticate on a 401 or
 * 403) are kept.
 */
export function sendProblem(request: Request, response: Response, answer: Problem): void {
  if (typeof answer.retryAfterSeconds === 'number') {
    response.setHeader('Retry-After', String(answer.retryAfterSeconds));
  }
  response
    .status(answer.status)
    .type(PROBLEM_CONTENT_TYPE)
    .send(JSON.stringify({ ...answer, instance: request.originalUrl.split('?')[0] }));
}
