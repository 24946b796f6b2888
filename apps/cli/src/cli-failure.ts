/**
 * What `tandem` exits with, and the words it says when a command fails instead
 * of finishing. Commands return 0 or 1 (and 2 for a bad file) themselves; what
 * they throw is translated here, once, at the edge: never a stack trace for a
 * failure the user can fix, only for a bug.
 */
import { ConfigError } from '@tandem/config';
import { ApiError, ApiUnavailableError, apiMessage } from './api-client';
import { UsageError } from './usage-error';

export { UsageError };

/** Documented in `tandem --help` and the README's CLI section: change them together. */
export const ExitCode = {
  /** The command did what it was asked. */
  ok: 0,
  /** It ran, and the answer is no: a check disagreed, a rebuild or replay failed, the API refused (4xx). */
  failed: 1,
  /** The command line, a file it names or the configuration is wrong: nothing was sent. */
  usage: 2,
  /** The API could not be reached, or answered a server error (5xx) or something that is not JSON. */
  apiUnavailable: 3,
  /** A bug in the CLI: the message and the stack trace are printed. */
  internal: 4,
} as const;

export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

export interface Failure {
  readonly exitCode: ExitCode;
  /** Written to stderr, each prefixed with `tandem: ` by the caller. */
  readonly lines: readonly string[];
}

export function describeFailure(error: unknown): Failure {
  if (error instanceof ApiUnavailableError) {
    return { exitCode: ExitCode.apiUnavailable, lines: [error.message] };
  }
  if (error instanceof ApiError) {
    const said = apiMessage(error.body);
    const line = `the API answered ${error.method} ${error.path} with HTTP ${error.status}${said === null ? '' : `: ${said}`}`;
    const hint =
      error.status === 401
        ? [
            'set TANDEM_TOKEN to a token of your identity provider or an API key; on the ' +
              "embedded API's machine the CLI uses its key itself (see `tandem token --help`)",
          ]
        : [];
    return {
      exitCode: error.status >= 500 ? ExitCode.apiUnavailable : ExitCode.failed,
      lines: [line, ...hint],
    };
  }
  if (error instanceof UsageError) return { exitCode: ExitCode.usage, lines: [error.message] };
  if (error instanceof ConfigError) return { exitCode: ExitCode.usage, lines: [error.message] };
  const lines =
    error instanceof Error
      ? [`unexpected error (a bug): ${error.stack ?? error.message}`]
      : [`unexpected error (a bug): ${String(error)}`];
  return { exitCode: ExitCode.internal, lines };
}
