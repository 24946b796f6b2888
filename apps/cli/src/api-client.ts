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
