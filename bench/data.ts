/**
 * `npm run bench:data -- --events N [--seed S] [--store postgres|pglite] [--schema NAME]
 * [--data-dir DIR] [--reset]`: writes a seeded, realistic history of exactly N events into
 * the event store through its bulk path (appendToNewStreams), for the other benchmarks to
 * read. The funnel-definitions stream is written first by the API's own bootstrap
 * (ActiveDefinition: published v1 + activated, as a first start writes it); then targets
 * and campaign spend; then the leads, chunk by chunk (bench.history.ts), each chunk one
 * transaction, generation of the next chunk overlapping the write of the previous one.
 *
 * Options: --months (history span, default 24), --until (end of business time, default
 * 2026-10-01T00:00:00Z: fixed, so a seed gives the same data on any day), --chunk-leads
 * (default 2500), --reset (drop the schema / the PGlite directory first; otherwise a
 * non-empty store is refused).
 */
import 'reflect-metadata';
import { rmSync } from 'node:fs';
import * as path from 'node:path';
import { decodeStoredEvent } from '@tandem/contracts';
import {
  type BulkEvent,
  createPgliteEventStore,
  createPostgresEventStore,
  type PostgresEventStore,
} from '@tandem/event-store';
import { Client } from 'pg';
import { ActiveDefinition } from '../apps/funnel-api/src/definitions/active-definition.service';
import { historyChunks, historyStart, planningEvents } from './bench.history';
import { type BenchStore, describeStore, numberOption, parseBenchArgs } from './bench.options';
import { BenchReport } from './bench.report';

const TARGET_EVENTS_PER_SECOND = 50_000;
/** Every Nth event is decoded with the consumers' decoder as it is written (all of the first few thousand). */
const DECODE_EVERY = 97;
const DECODE_ALL_FIRST = 5000;

async function main(): Promise<void> {
  const { options, values } = parseBenchArgs({
    events: { type: 'string' },
    seed: { type: 'string' },
    months: { type: 'string' },
    until: { type: 'string', default: '2026-10-01T00:00:00Z' },
    'chunk-leads': { type: 'string' },
    reset: { type: 'boolean', default: false },
  });
  const total = numberOption(values.events, 'events', 0);
  if (total < 1000) throw new Error('--events N is required (at least 1000)');
  const seed = numberOption(values.seed, 'seed', 1);
  const months = numberOption(values.months, 'months', 24);
  const chunkLeads = numberOption(values['chunk-leads'], 'chunk-leads', 2500);
  const until = new Date(String(values.until));
  if (Number.isNaN(until.getTime())) throw new Error('--until must be an ISO-8601 timestamp');
  const { store: selection } = options;

  const report = new BenchReport(`bench:data — ${total.toLocaleString('en-US')} events`);
  report.note('store', describeStore(selection));
  report.note('seed', seed);
  report.note(
    'business time',
    `${historyStart({ until, months }).toISOString()} → ${until.toISOString()}`,
  );

  if (values.reset === true) await reset(selection);
  const store = await openStore(selection);
  try {
    if ((await store.headPosition()) !== null) {
      throw new Error(`${describeStore(selection)} is not empty: pass --reset to start over`);
    }
    const started = Date.now();
    // The definitions stream exactly as the API's first start writes it: its own code.
    const definitions = new ActiveDefinition(store);
    await definitions.onModuleInit();
    const { definition } = await definitions.active();
    const planning = planningEvents({ seed, until, months, leadEvents: total });
    await store.appendToNewStreams(planning);
    let written = 2 + planning.length;
    const leadEvents = total - written;

    let leads = 0;
    let chunks = 0;
    let generated = 0;
    let generateMs = 0;
    let appendMs = 0;
    let lastYield = Date.now();
    let decoded = 0;
    let peakRss = 0;
    let writing: Promise<void> = Promise.resolve();
    const chunkIterator = historyChunks({
      seed,
      leadEvents,
      until,
      months,
      chunkLeads,
      definition,
    });
    for (const chunk of chunkIterator) {
      generateMs += Date.now() - lastYield;
      decoded += checkDecodes(chunk.events, generated++ === 0 ? 1 : DECODE_EVERY, DECODE_ALL_FIRST);
      await writing; // one chunk in flight while the next is generated
      const appendStarted = Date.now();
      writing = store.appendToNewStreams(chunk.events).then(() => {
        appendMs += Date.now() - appendStarted;
        written += chunk.events.length;
        leads += chunk.leads;
        chunks++;
        peakRss = Math.max(peakRss, process.memoryUsage.rss());
        if (chunks % 10 === 0) progress(written, total, started);
      });
      // Let the driver send the statement before the next chunk is generated.
      await new Promise((resolve) => setImmediate(resolve));
      lastYield = Date.now();
    }
    await writing;
    const seconds = (Date.now() - started) / 1000;
    progress(written, total, started);

    const head = await store.headPosition();
    report.note('leads', leads);
    report.note('events written', written);
    report.note('events per lead', Math.round(((written - 2 - planning.length) / leads) * 10) / 10);
    report.note('chunks (transactions)', chunks);
    report.note('events decoded with decodeStoredEvent', decoded);
    report.note('time generating (s)', Math.round(generateMs / 100) / 10);
    report.note(
      'time in bulk appends, overlapping generation (s)',
      Math.round(appendMs / 100) / 10,
    );
    report.note('head position', String(head));
    report.add({
      name: 'bulk write rate',
      value: written / seconds,
      unit: 'events/s',
      target: { atLeast: TARGET_EVENTS_PER_SECOND },
    });
    report.add({ name: 'duration', value: seconds, unit: 's', target: null });
    report.add({
      name: 'projected time for 10M events',
      value: (10_000_000 / written) * seconds,
      unit: 's',
      target: { atMost: 3600, label: 'minutes, not hours' },
    });
    report.add({ name: 'generator peak RSS', value: peakRss, unit: 'bytes', target: null });
    report.print();
    report.writeJson(options.json);
  } finally {
    await store.close();
  }
}

async function openStore(selection: BenchStore): Promise<PostgresEventStore> {
  return selection.kind === 'postgres'
    ? createPostgresEventStore({
        connectionString: selection.url,
        schema: selection.schema,
        poolSize: 2,
      })
    : createPgliteEventStore({
        dataDir: path.join(selection.dataDir, 'pglite'),
        schema: selection.schema,
      });
}

/** Drops the benchmark's schema (PostgreSQL) or its PGlite directory: only what it was given. */
async function reset(selection: BenchStore): Promise<void> {
  if (selection.kind === 'pglite') {
    rmSync(path.join(selection.dataDir, 'pglite'), { recursive: true, force: true });
    return;
  }
  const client = new Client({ connectionString: selection.url });
  await client.connect();
  try {
    await client.query(`DROP SCHEMA IF EXISTS "${selection.schema}" CASCADE`);
  } finally {
    await client.end();
  }
}

/** Decodes every `every`th event as a consumer would; throws on the first that does not. */
function checkDecodes(events: readonly BulkEvent[], every: number, allFirst = 0): number {
  let count = 0;
  for (let i = 0; i < events.length; i += i < allFirst ? 1 : every) {
    const { streamId, event } = events[i]!;
    const outcome = decodeStoredEvent({
      ...event,
      streamId,
      streamRevision: 0n,
      globalPosition: 1n,
      recordedAt: new Date(),
    });
    if (!outcome.ok) throw new Error(`generated ${event.type} does not decode: ${outcome.reason}`);
    count++;
  }
  return count;
}

function progress(written: number, total: number, started: number): void {
  const seconds = (Date.now() - started) / 1000;
  const rate = written / Math.max(seconds, 0.001);
  const eta = (total - written) / rate;
  process.stderr.write(
    `  ${written.toLocaleString('en-US')} / ${total.toLocaleString('en-US')} events, ` +
      `${Math.round(rate).toLocaleString('en-US')} events/s, ETA ${Math.ceil(eta)} s, ` +
      `RSS ${Math.round(process.memoryUsage.rss() / 1024 ** 2)} MB\n`,
  );
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? (error.stack ?? error.message) : error);
  process.exit(1);
});
