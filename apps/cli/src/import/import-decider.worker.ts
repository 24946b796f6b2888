/**
 * The import's deciding half on a worker thread: reads and plans the source, then decides
 * blocks (import-blocks.ts) at most two ahead of the writer, so reading, validating and
 * deciding use one core while the main thread seals and appends (and, on PGlite, runs the
 * engine) on the other. Talks only through import-decider.thread.ts's messages; it must
 * never open the event store.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { decideBlocks } from './import-blocks';
import { planImport } from './import-plan';
import { readImportSource } from './import-sources';
import {
  AHEAD_BLOCKS,
  type DeciderInput,
  type FromWriter,
  type ToWriter,
  toWire,
  wireError,
} from './import-decider.wire';

const port = parentPort;
if (port === null) throw new Error('import-decider.worker runs as a worker thread only');
const input = workerData as DeciderInput;
const send = (message: ToWriter) => port.postMessage(message);

let credit = AHEAD_BLOCKS;
let wake: (() => void) | null = null;
let decide: ((message: Extract<FromWriter, { kind: 'decide' }>) => void) | null = null;
port.on('message', (message: FromWriter) => {
  if (message.kind === 'taken') {
    credit += 1;
    wake?.();
  } else {
    decide?.(message);
  }
});

async function run(): Promise<void> {
  const decideMessage = new Promise<Extract<FromWriter, { kind: 'decide' }>>((resolve) => {
    decide = resolve;
  });
  const source = await readImportSource(input.files, input.preset, input.mapping);
  const plan = planImport(source);
  send({
    kind: 'planned',
    name: source.name,
    hash: source.hash,
    rows: plan.rows,
    leadsTotal: plan.leads.length,
    orphanRows: plan.orphanRows,
    notes: source.notes ?? [],
  });
  const { from, decision, blockEvents, done } = await decideMessage;
  for (const block of decideBlocks(plan.leads, from, decision, blockEvents, done)) {
    while (credit === 0) await new Promise<void>((resolve) => (wake = resolve));
    credit -= 1;
    send({ kind: 'block', block: toWire(block) });
  }
  send({ kind: 'done' });
}

run().catch((error: unknown) => send({ kind: 'failed', error: wireError(error) }));
