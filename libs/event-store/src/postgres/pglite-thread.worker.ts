/**
 * The worker-thread half of PgliteThreadExecutor: owns the PGlite engine so that its WASM
 * PostgreSQL runs beside the API's event loop instead of on it. It answers one message per
 * request, in the order PGlite itself serialises them; a transaction stays open across
 * messages until its commit or rollback arrives.
 * It must never run a statement the main thread did not send, nor keep a transaction open
 * after the main thread has given it up (close rolls back whatever is open).
 */
import { parentPort, workerData } from 'node:worker_threads';
import { PGlite, type Transaction } from '@electric-sql/pglite';
import type { ThreadReply, ThreadRequest, WireError } from './pglite-thread.wire';

/** Thrown inside PGlite's transaction to roll it back (it rethrows; caught right there). */
class Rollback extends Error {}

interface OpenTransaction {
  readonly tx: Transaction;
  readonly finish: (commit: boolean) => void;
  readonly ended: Promise<void>;
}

async function main(): Promise<void> {
  const port = parentPort;
  if (port === null) throw new Error('pglite-thread.worker runs as a worker thread only');
  const { dataDir } = workerData as { dataDir: string | undefined };
  const db = await PGlite.create(dataDir);
  const transactions = new Map<number, OpenTransaction>();
  const unlisteners = new Map<number, () => Promise<void>>();
  const reply = (message: ThreadReply, transfer: ArrayBuffer[] = []) =>
    port.postMessage(message, transfer);

  const handle = async (request: ThreadRequest): Promise<ThreadReply> => {
    const { id } = request;
    switch (request.op) {
      case 'query': {
        const target = request.tx === undefined ? db : openTx(request.tx).tx;
        const result = await target.query<Record<string, unknown>>(request.sql, request.params);
        return { id, ok: true, rows: result.rows };
      }
      case 'exec': {
        const target = request.tx === undefined ? db : openTx(request.tx).tx;
        await target.exec(request.sql);
        return { id, ok: true };
      }
      case 'copyFrom': {
        await openTx(request.tx).tx.query(`COPY ${request.target} FROM '/dev/blob'`, [], {
          blob: new Blob([request.text]),
        });
        return { id, ok: true };
      }
      case 'copyOut': {
        const bytes = await db.transaction(async (tx) => {
          await tx.query(request.setup, request.params);
          const { blob } = await tx.query(request.copy);
          if (blob === undefined) throw new Error('COPY wrote nothing to /dev/blob');
          return blob.arrayBuffer();
        });
        return { id, ok: true, bytes };
      }
      case 'begin': {
        let begun: () => void = () => undefined;
        const ready = new Promise<void>((resolve) => (begun = resolve));
        let finish: (commit: boolean) => void = () => undefined;
        const decided = new Promise<boolean>((resolve) => (finish = resolve));
        const ended = db
          .transaction(async (tx) => {
            transactions.set(id, { tx, finish, ended: Promise.resolve() });
            begun();
            if (!(await decided)) throw new Rollback('rolled back by the caller');
          })
          .catch((error: unknown) => {
            if (!(error instanceof Rollback)) throw error;
          });
        // A failure to begin surfaces here; after that, at the end.
        await Promise.race([ready, ended]);
        const open = transactions.get(id);
        if (open === undefined) throw new Error('transaction did not begin');
        transactions.set(id, { ...open, ended });
        return { id, ok: true };
      }
      case 'end': {
        const open = openTx(request.tx);
        open.finish(request.commit);
        try {
          await open.ended;
        } finally {
          transactions.delete(request.tx);
        }
        return { id, ok: true };
      }
      case 'listen': {
        const unlisten = await db.listen(request.channel, () =>
          reply({ id: request.id, notify: true }),
        );
        unlisteners.set(id, unlisten);
        return { id, ok: true };
      }
      case 'unlisten': {
        await unlisteners.get(request.listenId)?.();
        unlisteners.delete(request.listenId);
        return { id, ok: true };
      }
      case 'close': {
        for (const open of transactions.values()) open.finish(false);
        await Promise.allSettled([...transactions.values()].map((open) => open.ended));
        if (!db.closed) await db.close();
        return { id, ok: true };
      }
    }
  };

  function openTx(txId: number): OpenTransaction {
    const open = transactions.get(txId);
    if (open === undefined) throw new Error(`no open transaction ${txId}`);
    return open;
  }

  port.on('message', (request: ThreadRequest) => {
    handle(request).then(
      (message) => reply(message, 'bytes' in message && message.bytes ? [message.bytes] : []),
      (error: unknown) => reply({ id: request.id, ok: false, error: toWire(error) }),
    );
  });
  reply({ id: 0, ok: true });
}

function toWire(error: unknown): WireError {
  if (!(error instanceof Error)) return { name: 'Error', message: String(error), fields: {} };
  const fields: Record<string, string> = {};
  for (const key of ['code', 'detail', 'constraint', 'schema', 'table', 'column', 'severity']) {
    const value = (error as unknown as Record<string, unknown>)[key];
    if (typeof value === 'string') fields[key] = value;
  }
  return { name: error.name, message: error.message, fields };
}

main().catch((error: unknown) => {
  parentPort?.postMessage({ id: 0, ok: false, error: toWire(error) });
});
