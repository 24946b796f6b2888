/**
 * The CLI's way into a running Tandem: its HTTP API. In embedded mode the API
 * process owns the data directories, so tools never open them themselves.
 * Failing to talk to the API at all (refused connection, unknown host, an answer
 * that is not JSON) is an ApiUnavailableError naming the URL and where it came
 * from; an answer with an error status is an ApiError carrying the API's body. Every request
 * carries the credential `credentials` gives for its role (auth/api-credentials.ts).
 */
import { plainHttpToRemote, redactUrl } from '@tandem/config';
import type { Role } from '@tandem/domain';
import { type ApiCredentials, noCredentials } from './auth/api-credentials';
import { UsageError } from './usage-error';

/** Where the API URL came from, so a failure can say which setting to fix. */
export type ApiUrlSource = '--api' | 'TANDEM_API_URL' | 'default';

export interface ApiEndpoint {
  readonly url: string;
  readonly source: ApiUrlSource;
}

export const DEFAULT_API_URL = 'http://127.0.0.1:3000';

/** `--api` wins over TANDEM_API_URL, which wins over the default; a malformed URL is a usage error. */
export function resolveApiEndpoint(
  flag: string | undefined,
  env: Readonly<Record<string, string | undefined>>,
): ApiEndpoint {
  const endpoint: ApiEndpoint =
    flag !== undefined
      ? { url: flag, source: '--api' }
      : env.TANDEM_API_URL
        ? { url: env.TANDEM_API_URL, source: 'TANDEM_API_URL' }
        : { url: DEFAULT_API_URL, source: 'default' };
  let protocol: string;
  try {
    protocol = new URL(endpoint.url).protocol;
  } catch {
    throw new UsageError(`${endpoint.source} is not a URL: ${endpoint.url}`);
  }
  if (protocol !== 'http:' && protocol !== 'https:') {
    throw new UsageError(`${endpoint.source} must be an http:// or https:// URL: ${endpoint.url}`);
  }
  return endpoint;
}

/**
 * A warning when the endpoint is plain http to a host that is not loopback: the bearer token
 * (an ops or admin role) and every answer cross the network readable. Warned, not refused: a
 * private network or a sidecar proxy can make it acceptable, and only the operator knows.
 */
export function apiEndpointWarning(endpoint: ApiEndpoint): string | null {
  if (!plainHttpToRemote(endpoint.url)) return null;
  return (
    `${endpoint.source} ${redactUrl(endpoint.url)} is plain http to a host that is not loopback, ` +
    'so the credentials and the answers cross the network unencrypted; use https:// unless the network is private'
  );
}

/** The API could not be talked to: nothing it said can be acted on. */
export class ApiUnavailableError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ApiUnavailableError';
  }
}

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly body: unknown,
    readonly path: string,
    readonly method = 'GET',
    /** The answer's Retry-After in seconds (a 429 or 503 that knows when), else null. */
    readonly retryAfterSeconds: number | null = null,
  ) {
    super(`${path}: HTTP ${status} ${JSON.stringify(body)}`);
    this.name = 'ApiError';
  }
}

export class ApiClient {
  private readonly label: string;

  /** `source` only words failures: `… at http://127.0.0.1:3000 (TANDEM_API_URL): …`. */
  constructor(
    readonly baseUrl: string,
    source?: ApiUrlSource,
    private readonly credentials: ApiCredentials = noCredentials,
  ) {
    const why =
      source === 'default' ? 'the default; set TANDEM_API_URL or --api' : (source ?? null);
    this.label = `the Tandem API at ${baseUrl}${why === null ? '' : ` (${why})`}`;
  }

  async get<T>(path: string): Promise<T> {
    return this.request<T>('GET', path, undefined, 'ops', 'tandem-cli');
  }

  async post<T>(path: string, body: unknown, role: Role, actor: string): Promise<T> {
    return this.request<T>('POST', path, body, role, actor);
  }

  /** Answers nothing on success (204). */
  async delete(path: string, role: Role, actor: string): Promise<void> {
    await this.request<unknown>('DELETE', path, undefined, role, actor);
  }

  private async request<T>(
    method: string,
    path: string,
    body: unknown,
    role: Role,
    actor: string,
  ): Promise<T> {
    const url = new URL(path, this.baseUrl);
    const authorization = await this.credentials.authorization(role, actor);
    let response: Response;
    let text: string;
    try {
      response = await fetch(url, {
        method,
        headers: {
          'content-type': 'application/json',
          ...(authorization === null ? {} : { authorization }),
        },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      text = await response.text();
    } catch (error) {
      throw new ApiUnavailableError(`cannot reach ${this.label}: ${networkReason(error)}`);
    }
    let parsed: unknown = null;
    if (text.length > 0) {
      try {
        parsed = JSON.parse(text);
      } catch {
        // The Tandem API answers JSON even when it fails: this is some other server.
        throw new ApiUnavailableError(
          `${this.label} answered ${method} ${path} with HTTP ${response.status} that is not JSON: ` +
            'is that URL the Tandem API?',
        );
      }
    }
    if (!response.ok) {
      throw new ApiError(
        response.status,
        parsed,
        path,
        method,
        retryAfterSeconds(response.headers.get('retry-after')),
      );
    }
    return parsed as T;
  }
}

/** Retry-After as delay-seconds (the only form the Tandem API sends); anything else is null. */
function retryAfterSeconds(header: string | null): number | null {
  return header !== null && /^\d{1,6}$/.test(header.trim()) ? Number(header.trim()) : null;
}

/** Network error codes, in the words of the one-line message. */
const reasons: Readonly<Record<string, string>> = {
  ECONNREFUSED: 'connection refused',
  ENOTFOUND: 'host not found',
  EAI_AGAIN: 'host not found',
  ETIMEDOUT: 'connection timed out',
  UND_ERR_CONNECT_TIMEOUT: 'connection timed out',
  ECONNRESET: 'connection closed by the server',
  UND_ERR_SOCKET: 'connection closed by the server',
  EHOSTUNREACH: 'host unreachable',
  ENETUNREACH: 'network unreachable',
};

/** fetch fails with `TypeError: fetch failed`; the reason is in its cause's code. */
export function networkReason(error: unknown): string {
  const cause = error instanceof Error && error.cause !== undefined ? error.cause : error;
  const code = errorCode(cause);
  const known = code === null ? undefined : reasons[code];
  if (known !== undefined) return known;
  const message = cause instanceof Error ? cause.message : String(cause);
  return code === null ? message : `${message} (${code})`;
}

function errorCode(error: unknown): string | null {
  if (typeof error !== 'object' || error === null) return null;
  const { code, errors } = error as { code?: unknown; errors?: unknown };
  if (typeof code === 'string') return code;
  // Happy eyeballs (localhost → ::1 and 127.0.0.1) fails with an AggregateError.
  if (Array.isArray(errors)) return errorCode(errors[0]);
  return null;
}

/** Why the API refused a request (a 4xx answer), in its own words. */
export interface Refusal {
  readonly status: number;
  readonly message: string;
  readonly issues: readonly { path: string; message: string }[];
}

/**
 * The API's reason: an RFC 9457 problem's `detail` (its `title` when it has none); `message`
 * of an API from before problem details.
 */
export function apiMessage(body: unknown): string | null {
  if (typeof body !== 'object' || body === null) return typeof body === 'string' ? body : null;
  const { detail, title, message } = body as {
    detail?: unknown;
    title?: unknown;
    message?: unknown;
  };
  if (typeof detail === 'string') return detail;
  if (typeof title === 'string') return title;
  if (typeof message === 'string') return message;
  if (Array.isArray(message)) return message.map(String).join('; ');
  return null;
}

/**
 * The refusal inside an error, or null when it is not one (outages and bugs stay errors). The
 * API answers RFC 9457 problems: `detail` says why, `errors[]` names each offending field.
 */
export function refusalOf(error: unknown): Refusal | null {
  if (!(error instanceof ApiError) || error.status >= 500) return null;
  const body = (error.body ?? {}) as { errors?: unknown };
  const issues = Array.isArray(body.errors)
    ? body.errors.filter(isFieldProblem).map((problem) => ({
        path: problem.field,
        message: problem.message,
      }))
    : [];
  return { status: error.status, message: apiMessage(error.body) ?? 'no reason given', issues };
}

function isFieldProblem(value: unknown): value is { field: string; message: string } {
  if (typeof value !== 'object' || value === null) return false;
  const problem = value as { field?: unknown; message?: unknown };
  return typeof problem.field === 'string' && typeof problem.message === 'string';
}

/** `refused (409): …`, then one line per offending field the API named. */
export function describeRefusal(refusal: Refusal): string[] {
  return [
    `refused (${refusal.status}): ${refusal.message}`,
    ...refusal.issues.map((issue) => `  ${issue.path}: ${issue.message}`),
  ];
}
