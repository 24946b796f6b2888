/**
 * The CLI's way into a running Tandem: its HTTP API. In embedded mode the API
 * process owns the data directories, so tools never open them themselves.
 */
import type { Role } from '@tandem/domain';

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly body: unknown,
    path: string,
  ) {
    super(`${path}: HTTP ${status} ${JSON.stringify(body)}`);
    this.name = 'ApiError';
  }
}

export class ApiClient {
  constructor(readonly baseUrl: string) {}

  async get<T>(path: string): Promise<T> {
    return this.request<T>('GET', path, undefined, 'ops', 'tandem-cli');
  }

  async post<T>(path: string, body: unknown, role: Role, actor: string): Promise<T> {
    return this.request<T>('POST', path, body, role, actor);
  }

  private async request<T>(
    method: string,
    path: string,
    body: unknown,
    role: Role,
    actor: string,
  ): Promise<T> {
    const response = await fetch(new URL(path, this.baseUrl), {
      method,
      headers: {
        'content-type': 'application/json',
        'x-tandem-role': role,
        'x-tandem-actor': actor,
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await response.text();
    const parsed: unknown = text.length > 0 ? JSON.parse(text) : null;
    if (!response.ok) throw new ApiError(response.status, parsed, path);
    return parsed as T;
  }
}

/** Why the API refused a request (a 4xx answer), in its own words. */
export interface Refusal {
  readonly status: number;
  readonly message: string;
  readonly issues: readonly { path: string; message: string }[];
}

/** The refusal inside an error, or null when it is not one (outages and bugs stay errors). */
export function refusalOf(error: unknown): Refusal | null {
  if (!(error instanceof ApiError) || error.status >= 500) return null;
  const body = (error.body ?? {}) as { message?: unknown; issues?: unknown };
  const issues = Array.isArray(body.issues) ? body.issues.filter(isIssue) : [];
  return {
    status: error.status,
    message: typeof body.message === 'string' ? body.message : 'no reason given',
    issues,
  };
}

function isIssue(value: unknown): value is { path: string; message: string } {
  if (typeof value !== 'object' || value === null) return false;
  const issue = value as { path?: unknown; message?: unknown };
  return typeof issue.path === 'string' && typeof issue.message === 'string';
}

/** `refused (409): …`, then one line per offending field the API named. */
export function describeRefusal(refusal: Refusal): string[] {
  return [
    `refused (${refusal.status}): ${refusal.message}`,
    ...refusal.issues.map((issue) => `  ${issue.path}: ${issue.message}`),
  ];
}
