/**
 * The messages between PgliteThreadExecutor (the API's thread) and pglite-thread.worker.ts
 * (PGlite's). Plain data only: what structured clone carries. A server error travels as its
 * message and its PostgreSQL fields (code, constraint, detail…), which the store's error
 * translation reads, and is rebuilt as an Error with those fields on the other side.
 */
export interface WireError {
  readonly name: string;
  readonly message: string;
  readonly fields: Readonly<Record<string, string>>;
}

export type ThreadRequest =
  | {
      readonly id: number;
      readonly op: 'query';
      readonly sql: string;
      readonly params: unknown[];
      readonly tx?: number;
    }
  | { readonly id: number; readonly op: 'exec'; readonly sql: string; readonly tx?: number }
  | {
      readonly id: number;
      readonly op: 'copyFrom';
      readonly tx: number;
      readonly target: string;
      readonly text: string;
    }
  | {
      readonly id: number;
      readonly op: 'copyOut';
      readonly setup: string;
      readonly params: unknown[];
      readonly copy: string;
    }
  | { readonly id: number; readonly op: 'begin' }
  | { readonly id: number; readonly op: 'end'; readonly tx: number; readonly commit: boolean }
  | { readonly id: number; readonly op: 'listen'; readonly channel: string }
  | { readonly id: number; readonly op: 'unlisten'; readonly listenId: number }
  | { readonly id: number; readonly op: 'close' };

export interface ThreadAnswer {
  readonly id: number;
  readonly ok: true;
  readonly rows?: Record<string, unknown>[];
  readonly bytes?: ArrayBuffer;
}

export type ThreadReply =
  | ThreadAnswer
  | { readonly id: number; readonly ok: false; readonly error: WireError }
  | { readonly id: number; readonly notify: true };

export function fromWire(error: WireError): Error {
  const rebuilt = new Error(error.message);
  rebuilt.name = error.name;
  return Object.assign(rebuilt, error.fields);
}
