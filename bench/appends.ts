/**
 * `npm run bench:appends`: the PostgreSQL (or, with `--store pglite`, an in-memory PGlite)
 * event store's append path through its own port,
 * 1 writer and then N concurrent writers (each on its own streams, one event per append, as a
 * command does), on an event table grown to `--prefill` events first so append cost is seen at
 * size. Prints appends/s beside targets. Runs in its own schema and drops it after.
 * It must never touch a schema it did not create.
 */
import {
  createPgliteEventStore,
  createPostgresEventStore,
  type PostgresEventStore,
} from '@tandem/event-store';
import { Client } from 'pg';
import { v7 as uuidv7 } from 'uuid';
import { numberOption, parseBenchArgs } from './bench.options';
import { BenchReport, quantile } from './bench.report';

async function main(): Promise<void> {
  const { options, values } = parseBenchArgs({
    seconds: { type: 'string' },
    writers: { type: 'string' },
    prefill: { type: 'string' },
  });
  const seconds = numberOption(values.seconds, 'seconds', 5);
  const writers = numberOption(values.writers, 'writers', 8);
  const prefill = numberOption(values.prefill, 'prefill', 100_000);
  const schema = `bench_appends_${process.pid}`;
  const pglite = options.store.kind === 'pglite';
  const report = new BenchReport(
    `${pglite ? 'PGlite (in memory)' : 'PostgreSQL'} appends through the store port`,
  );
  report.note(
    'store',
    `${pglite ? 'PGlite, in memory,' : 'PostgreSQL'} schema ${schema}, ${prefill} events prefilled`,
  );
  const store = pglite
    ? await createPgliteEventStore({ memory: true, schema })
    : await createPostgresEventStore({
        connectionString: options.store.url,
        schema,
        poolSize: writers + 2,
      });
  try {
    await fill(store, prefill);
    for (const count of [1, writers]) {
      const { appends, latencies } = await run(store, count, seconds);
      report.add({
        name: `appends/s, ${count} writer${count === 1 ? '' : 's'}`,
        value: appends / seconds,
        unit: 'appends/s',
        target: count === 1 ? null : { atLeast: 2_000, label: 'the API target rests on it' },
        note: `p50 ${quantile(latencies, 0.5).toFixed(1)} ms, p99 ${quantile(latencies, 0.99).toFixed(1)} ms`,
      });
    }
  } finally {
    await store.close();
    if (!pglite) {
      const admin = new Client({ connectionString: options.store.url });
      await admin.connect();
      await admin.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
      await admin.end();
    }
  }
  report.print();
  report.writeJson(options.json);
}

/** Grows the table with the bulk path, 1,000 streams of 10 events per call. */
async function fill(store: PostgresEventStore, events: number): Promise<void> {
  for (let done = 0; done < events; done += 10_000) {
    const batch = Array.from({ length: Math.min(10_000, events - done) }, (_, i) => ({
      streamId: `fill-${done + Math.floor(i / 10)}`,
      event: anEvent(),
    }));
    await store.appendToNewStreams(batch);
  }
}

async function run(
  store: PostgresEventStore,
  writers: number,
  seconds: number,
): Promise<{ appends: number; latencies: number[] }> {
  const deadline = Date.now() + seconds * 1000;
  const latencies: number[] = [];
  await Promise.all(
    Array.from({ length: writers }, async () => {
      while (Date.now() < deadline) {
        // Ten appends per stream, each at the revision the last one returned.
        const stream = `bench-${uuidv7()}`;
        let expectedRevision: bigint | 'no_stream' = 'no_stream';
        for (let i = 0; i < 10 && Date.now() < deadline; i++) {
          const started = performance.now();
          const result = await store.append(stream, [anEvent()], { expectedRevision });
          latencies.push(performance.now() - started);
          expectedRevision = result.nextExpectedRevision;
        }
      }
    }),
  );
  return { appends: latencies.length, latencies };
}

function anEvent() {
  return {
    eventId: uuidv7(),
    type: 'BenchAppended',
    schemaVersion: 1,
    data: { note: 'a command-sized payload', amount: 1250.5, channel: 'paid_search' },
    metadata: { correlationId: uuidv7(), actor: { id: 'bench', role: 'ops' } },
  };
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
