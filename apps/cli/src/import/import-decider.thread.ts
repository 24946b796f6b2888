/**
 * Starts the import's decider on a worker thread (import-decider.worker.ts) and hands its
 * decided blocks to the writer as an async iterable: the main thread keeps sealing and
 * appending (and PGlite's engine) while the worker reads, validates and decides — two
 * cores instead of one. Only the built CLI has the compiled worker; run from source
 * (jest, ts-node) `deciderThreadAvailable()` is false and the import decides in-thread.
 * It must never let a worker outlive the import: stop() ends it, and a failure ends it too.
 */
import { existsSync } from 'node:fs';
import * as path from 'node:path';
import { Worker } from 'node:worker_threads';
import type { DecidedBlock, DoneLeads } from './import-blocks';
import type { RefusedRow } from './import-plan';
import {
  type DeciderInput,
  type FromWriter,
  fromWire,
  type ToWriter,
  type WireError,
} from './import-decider.wire';
import type { DecisionInput } from './lead-facts.decider';
import { UsageError } from '../usage-error';

const WORKER_FILE = path.join(__dirname, 'import-decider.worker.js');

export function deciderThreadAvailable(): boolean {
  return path.extname(__filename) === '.js' && existsSync(WORKER_FILE);
}

export interface PlannedSource {
  readonly name: string;
  readonly hash: string;
  readonly rows: number;
  readonly leadsTotal: number;
  readonly orphanRows: readonly RefusedRow[];
  /** Told once on stderr (ImportSource.notes). */
  readonly notes: readonly string[];
}

export interface ImportDecider {
  readonly planned: PlannedSource;
  readonly blocksFrom: (
    from: number,
    decision: DecisionInput,
    blockEvents: number,
    done: DoneLeads,
  ) => AsyncIterable<DecidedBlock>;
  readonly stop: () => Promise<void>;
}

/** Starts the worker and resolves once it has read and planned the source. */
export async function startImportDecider(input: DeciderInput): Promise<ImportDecider> {
  const worker = new Worker(WORKER_FILE, { workerData: input });
  const inbox: ToWriter[] = [];
  let waiting: (() => void) | null = null;
  let lost: Error | null = null;
  const wake = () => {
    const resolve = waiting;
    waiting = null;
    resolve?.();
  };
  worker.on('message', (message: ToWriter) => {
    inbox.push(message);
    wake();
  });
  worker.on('error', (error) => {
    lost = error;
    wake();
  });
  worker.on('exit', (code) => {
    lost ??= new Error(`the import's decider thread exited (${code})`);
    wake();
  });
  const next = async (): Promise<ToWriter> => {
    for (;;) {
      const message = inbox.shift();
      if (message !== undefined) {
        if (message.kind === 'failed') throw revived(message.error);
        return message;
      }
      if (lost !== null) throw lost;
      await new Promise<void>((resolve) => (waiting = resolve));
    }
  };
  const send = (message: FromWriter) => worker.postMessage(message);
  const stop = async () => {
    worker.removeAllListeners('exit');
    await worker.terminate();
  };

  let planned: ToWriter;
  try {
    planned = await next();
  } catch (error) {
    await stop();
    throw error;
  }
  if (planned.kind !== 'planned') {
    await stop();
    throw new Error(`import decider: expected the plan, got ${planned.kind}`);
  }
  async function* blocksFrom(
    from: number,
    decision: DecisionInput,
    blockEvents: number,
    done: DoneLeads,
  ) {
    send({ kind: 'decide', from, decision, blockEvents, done });
    for (;;) {
      const message = await next();
      if (message.kind === 'done') return;
      if (message.kind !== 'block') throw new Error(`import decider: unexpected ${message.kind}`);
      send({ kind: 'taken' });
      yield fromWire(message.block);
    }
  }
  const { kind: _kind, ...source } = planned;
  return { planned: source, blocksFrom, stop };
}

/** The worker's error as the main thread would have thrown it (a usage error stays one). */
function revived(error: WireError): Error {
  const revivedError =
    error.name === 'UsageError' ? new UsageError(error.message) : new Error(error.message);
  if (error.stack !== undefined) revivedError.stack = error.stack;
  return revivedError;
}
