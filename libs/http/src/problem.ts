/**
 * RFC 9457 problem details as every Tandem HTTP server writes them, the API and the worker
 * processes alike: the media type, the `tag:` type URIs and the members a problem always has.
 * The API maps its errors to these in apps/funnel-api (problem-details.ts); a worker answers
 * only the few an HTTP server without routes of its own meets.
 *
 * It must never put an unexpected error's text in a problem: that belongs in the server's log.
 */
import { STATUS_CODES } from 'node:http';

export const PROBLEM_CONTENT_TYPE = 'application/problem+json';

/** The members every problem has; `errors`, `reasons` and the like are extensions. */
export interface HttpProblem {
  /** A URI naming the kind of problem; `code` is its last segment, for clients that switch. */
  readonly type: string;
  readonly title: string;
  readonly status: number;
  readonly detail: string;
  /** The request path that met the problem (set when it is sent). */
  readonly instance?: string;
  readonly code: string;
  /** RFC 9457 extension members. */
  readonly [extension: string]: unknown;
}

/**
 * Problem types are `tag:` URIs (RFC 4151): unique without promising a page to dereference,
 * which RFC 9457 §3.1.1 allows. README's API section lists the codes.
 */
export const problemType = (code: string): string => `tag:tandem,2026:problem:${code}`;

export function httpProblem(
  status: number,
  code: string,
  detail: string,
  extensions: Readonly<Record<string, unknown>> = {},
): HttpProblem {
  return {
    type: problemType(code),
    title: STATUS_CODES[status] ?? 'Error',
    status,
    detail,
    code,
    ...extensions,
  };
}
