/**
 * `npm run bench:api [-- --store postgres|pglite --seconds 20 --clients 32 --hot-events 10000]`:
 * commands through the HTTP API as fast as `--clients` closed-loop clients can send them, against
 * the built API as its own process with the embedded projector on, on a store of its own (a
 * fresh PostgreSQL schema, dropped after, or a fresh PGlite directory, removed after).
 * Two figures beside their targets:
 * - throughput: lead journeys (capture, 8 touchpoints, profile, MQL decision, hand-off) from
 *   many clients; commands/s and p50/p99 latency (≥ 2,000/s at p99 < 50 ms on PostgreSQL,
 *   ≥ 1,000/s embedded). A 422 from the MQL decision is a command handled (the rules said no).
 * - hot lead: a lead seeded with `--hot-events` events; touchpoint latency on it against the
 *   same command on a fresh lead, alternated, one at a time.
 * It must never touch a schema or directory it did not create.
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { encodeForStore } from '@tandem/contracts';
import type { LeadEvent } from '@tandem/domain';
import { createPgliteEventStore, createPostgresEventStore } from '@tandem/event-store';
import { Client } from 'pg';
import { type ApiProcess, ApiProcess as Api, HttpError } from './bench.api-process';
import {
  captureBody,
  captureRequest,
  type JourneyRequest,
  journeyAfterCapture,
  touchpointRequest,
} from './bench.journeys';
import { type BenchStore, describeStore, numberOption, parseBenchArgs } from './bench.options';
import { BenchReport, quantile } from './bench.report';

const CATCH_UP_TIMEOUT_MS = 600_000;
const HOT_SAMPLES = 30;

async function main(): Promise<void> {
  const { options, values } = parseBenchArgs({
    seconds: { type: 'string' },
    clients: { type: 'string' },
    'hot-events': { type: 'string' },
  });
  const seconds = Math.max(1, numberOption(values.seconds, 'seconds', 20));
  const clients = Math.max(1, numberOption(values.clients, 'clients', 32));
  const hotEvents = Math.max(2, numberOption(values['hot-events'], 'hot-events', 10_000));
  const embedded = options.store.kind === 'pglite';
  const store: BenchStore = {
    ...options.store,
    schema: `bench_api_${process.pid}`,
    dataDir: embedded ? mkdtempSync(path.join(tmpdir(), 'tandem-bench-api-')) : '',
  };
  const report = new BenchReport(`bench:api — commands through the HTTP API, projector on`);
  report.note('store', describeStore(store));
  report.note('load', `${clients} closed-loop clients for ${seconds} s`);

  const hotLead = randomUUID();
  await seedHotLead(store, hotLead, hotEvents);
  // The rate limit is per caller and every client is one caller here: lift it out of the way.
  const api = await Api.start({
    store,
    // Embedded: the API's own data directory is the store's (PGlite does not open it through
    // the symlink ApiProcess would otherwise make).
    runDir: embedded ? store.dataDir : options.runDir,
    profileDir: options.profileDir,
    env: { TANDEM_RATE_LIMIT_WRITES_PER_MINUTE: '1000000', TANDEM_PROJECTOR: 'embedded' },
  });
  try {
    await api.projectorCaughtUp(CATCH_UP_TIMEOUT_MS);

    const hot = await hotLeadLatency(api, hotLead);
    report.add({
      name: `touchpoint on a lead with ${hotEvents} events, p50`,
      value: quantile(hot.hot, 0.5),
      unit: 'ms',
      target: { atMost: 2 * quantile(hot.fresh, 0.5) + 5, label: 'about a fresh lead’s' },
      note: `${HOT_SAMPLES} commands, one at a time`,
    });
    report.add({
      name: 'touchpoint on a fresh lead, p50',
      value: quantile(hot.fresh, 0.5),
      unit: 'ms',
      target: null,
    });

    const result = await drive(api, { seconds, clients });
    report.note('commands handled', result.handled);
    report.note('refused MQL decisions (422, by the rules)', result.refused);
    report.note('failed requests', result.failures.length);
    if (result.failures.length > 0) report.note('first failure', result.failures[0]!);
    report.add({
      name: 'commands per second',
      value: result.handled / result.seconds,
      unit: 'commands/s',
      target: { atLeast: embedded ? 1_000 : 2_000 },
    });
    report.add({
      name: 'command latency p50',
      value: quantile(result.latencies, 0.5),
      unit: 'ms',
      target: null,
    });
    report.add({
      name: 'command latency p99',
      value: quantile(result.latencies, 0.99),
      unit: 'ms',
      target: embedded ? null : { atMost: 50 },
    });
    const caughtUpFrom = performance.now();
    await api.projectorCaughtUp(CATCH_UP_TIMEOUT_MS);
    report.note(
      'projector behind at the end (s to catch up)',
      ((performance.now() - caughtUpFrom) / 1000).toFixed(1),
    );
    report.add({ name: 'API peak RSS', value: api.rss.peakBytes, unit: 'bytes', target: null });
  } finally {
    await api.stop();
    await dropStore(store);
  }
  report.print();
  report.writeJson(options.json);
}

/** The hot lead's history, written straight into the store before the API starts. */
async function seedHotLead(store: BenchStore, leadId: string, events: number): Promise<void> {
  const opened =
    store.kind === 'postgres'
      ? await createPostgresEventStore({ connectionString: store.url, schema: store.schema })
      : await createPgliteEventStore({
          dataDir: path.join(store.dataDir, 'pglite'),
          schema: store.schema,
        });
  try {
    const streamId = `lead-${leadId}`;
    const start = Date.now() - 90 * 86_400_000;
    const history: LeadEvent[] = [captured(leadId)];
    for (let i = 1; i < events; i++) history.push(touchpoint(i));
    const batch = history.map((event, i) => ({
      streamId,
      event: encodeForStore(event, {
        eventId: randomUUID(),
        leadId,
        accountId: null,
        occurredAt: new Date(start + i * 60_000).toISOString(),
        correlationId: randomUUID(),
        causationId: null,
        actor: { kind: 'user', id: 'bench-seed', role: 'marketing' },
      }),
    }));
    await opened.appendToNewStreams(batch);
  } finally {
    await opened.close();
  }
}

async function dropStore(store: BenchStore): Promise<void> {
  if (store.kind === 'pglite') {
    rmSync(store.dataDir, { recursive: true, force: true });
    return;
  }
  const admin = new Client({ connectionString: store.url });
  await admin.connect();
  try {
    await admin.query(`DROP SCHEMA IF EXISTS "${store.schema}" CASCADE`);
  } finally {
    await admin.end();
  }
}

async function hotLeadLatency(api: ApiProcess, hotLead: string) {
  const freshLead = randomUUID();
  await send(api, capture(freshLead));
  const hot: number[] = [];
  const fresh: number[] = [];
  for (let i = 0; i < HOT_SAMPLES; i++) {
    hot.push(await timed(() => send(api, touchpointRequest(hotLead, i))));
    fresh.push(await timed(() => send(api, touchpointRequest(freshLead, i))));
  }
  return { hot, fresh };
}

async function timed(work: () => Promise<unknown>): Promise<number> {
  const started = performance.now();
  await work();
  return performance.now() - started;
}

async function drive(api: ApiProcess, options: { seconds: number; clients: number }) {
  const started = performance.now();
  const deadline = started + options.seconds * 1000;
  let handled = 0;
  let refused = 0;
  const latencies: number[] = [];
  const failures: string[] = [];

  const client = async () => {
    while (performance.now() < deadline) {
      for (const request of journey(randomUUID())) {
        if (performance.now() >= deadline) break;
        const sentAt = performance.now();
        try {
          await send(api, request);
          latencies.push(performance.now() - sentAt);
          handled++;
        } catch (error) {
          if (request.gate === true && error instanceof HttpError && error.status === 422) {
            latencies.push(performance.now() - sentAt);
            handled++;
            refused++;
          } else {
            failures.push(error instanceof Error ? error.message : String(error));
          }
          break;
        }
      }
    }
  };

  await Promise.all(Array.from({ length: options.clients }, client));
  const seconds = (performance.now() - started) / 1000;
  return { handled, refused, latencies, failures, seconds };
}

function send(api: ApiProcess, request: JourneyRequest): Promise<unknown> {
  return api.post(request.path, request.body, request.role, 'bench-api');
}

function captured(leadId: string): LeadEvent {
  return { type: 'LeadCaptured', data: captureBody(leadId, 'Bench') };
}

function touchpoint(i: number): LeadEvent {
  return {
    type: 'TouchpointRecorded',
    data: {
      touchpointId: randomUUID(),
      kind: i % 2 === 0 ? 'page_view' : 'content_download',
      channel: 'organic',
      campaign: null,
      content: null,
    },
  };
}

/** One lead's commands: capture, touchpoints, profile, the MQL decision, the hand-off. */
function journey(leadId: string): JourneyRequest[] {
  return [capture(leadId), ...journeyAfterCapture(leadId)];
}

function capture(leadId: string): JourneyRequest {
  return captureRequest(leadId, 'Bench');
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? (error.stack ?? error.message) : error);
  process.exit(1);
});
