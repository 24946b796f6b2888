/**
 * `npm run bench:live [-- --rate 2000 --seconds 20 --concurrency 32] [--json FILE]`: live
 * appends through the HTTP API at a steady rate, and how long each takes to show in the
 * funnel view. Starts the API on the benchmark's store, waits until it has projected the log,
 * then drives lead journeys (capture, touchpoints, profile, MQL decision, hand-off) from
 * `--concurrency` clients, each request on a global schedule of `--rate` requests a second.
 * About once a second a sampled capture is stamped with a business time of its own (a
 * millisecond no other lead has); GET /analytics/funnel over that one-millisecond capture
 * window is polled until the lead shows. Prints append→visible p50/p99 beside the target
 * (p99 < 1 s) and the append rate reached. NOTE: it appends to the benchmark's store, so run
 * it after the other benchmarks.
 */
import { randomUUID } from 'node:crypto';
import { type ApiProcess, ApiProcess as Api, HttpError } from './bench.api-process';
import { captureRequest, type JourneyRequest, journeyAfterCapture } from './bench.journeys';
import { describeStore, numberOption, parseBenchArgs } from './bench.options';
import { BenchReport, quantile } from './bench.report';

const TIMEOUT_MS = 4 * 3600_000;
const VISIBLE_TARGET_MS = 1000;
const GIVE_UP_MS = 60_000;

async function main(): Promise<void> {
  const { options, values } = parseBenchArgs({
    rate: { type: 'string' },
    seconds: { type: 'string' },
    concurrency: { type: 'string' },
  });
  const rate = Math.max(1, numberOption(values.rate, 'rate', 2000));
  const seconds = Math.max(1, numberOption(values.seconds, 'seconds', 20));
  const concurrency = Math.max(1, numberOption(values.concurrency, 'concurrency', 32));
  const report = new BenchReport('bench:live — append → visible in /analytics/funnel');
  report.note('store', describeStore(options.store));
  report.note('schedule', `${rate} requests/s for ${seconds} s, ${concurrency} clients`);

  // Every client is one caller here: the per-caller write limit (6,000 a minute as shipped)
  // would refuse most of a 2,000/s schedule and measure the limiter, not visibility.
  const api = await Api.start({
    ...options,
    env: { TANDEM_RATE_LIMIT_WRITES_PER_MINUTE: '1000000' },
  });
  try {
    const head = await api.projectorCaughtUp(TIMEOUT_MS);
    await api.activeRuleSetReady(TIMEOUT_MS);
    report.note('events before (store head position)', String(head));
    api.rss.resetPeak();
    const result = await drive(api, { rate, seconds, concurrency });
    report.note('requests sent', result.requests);
    report.note('refused MQL decisions (422, by the rules)', result.refused);
    report.note('failed requests', result.failures.length);
    if (result.failures.length > 0) report.note('first failure', result.failures[0]!);
    report.note('visibility samples', result.visible.length);
    report.note('samples never visible within 60 s', result.invisible);
    report.add({
      name: 'events appended per second',
      value: result.events / result.seconds,
      unit: 'events/s',
      target: { atLeast: rate * 0.95, label: `the schedule, ${rate}/s` },
      note: 'successful appends only',
    });
    report.add({
      name: 'append latency p50',
      value: quantile(result.latencies, 0.5),
      unit: 'ms',
      target: null,
    });
    report.add({
      name: 'append latency p99',
      value: quantile(result.latencies, 0.99),
      unit: 'ms',
      target: null,
    });
    report.add({
      name: 'append → visible in funnel p50',
      value: quantile(result.visible, 0.5),
      unit: 'ms',
      target: null,
    });
    report.add({
      name: 'append → visible in funnel p99',
      value: result.invisible > 0 ? Number.POSITIVE_INFINITY : quantile(result.visible, 0.99),
      unit: 'ms',
      target: { atMost: VISIBLE_TARGET_MS },
    });
    report.add({
      name: 'API peak RSS under live load',
      value: api.rss.peakBytes,
      unit: 'bytes',
      target: null,
    });
  } finally {
    await api.stop();
  }
  report.print();
  report.writeJson(options.json);
}

async function drive(
  api: ApiProcess,
  options: { rate: number; seconds: number; concurrency: number },
) {
  const slotMs = 1000 / options.rate;
  const totalSlots = Math.round(options.rate * options.seconds);
  const started = performance.now();
  // Sampled captures take business times one millisecond apart, days before any other lead.
  const sampleBase = Date.now() - 3 * 86_400_000;
  let nextSlot = 0;
  let sampleIndex = 0;
  let nextSampleAt = started;
  let requests = 0;
  let events = 0;
  let refused = 0;
  const latencies: number[] = [];
  const failures: string[] = [];
  const visible: number[] = [];
  let invisible = 0;
  const watchers: Promise<void>[] = [];

  // The schedule ends on time even when the API cannot keep up: the rate reached says so.
  const over = () => nextSlot >= totalSlots || performance.now() - started > options.seconds * 1000;
  const send = async (request: JourneyRequest): Promise<'ok' | 'refused' | 'failed' | 'over'> => {
    if (over()) return 'over';
    const slot = nextSlot++;
    const due = started + slot * slotMs;
    const wait = due - performance.now();
    if (wait > 1) await new Promise((resolve) => setTimeout(resolve, wait));
    const sentAt = performance.now();
    requests++;
    try {
      const body = (await api.post(request.path, request.body, request.role, 'bench-live')) as {
        events: unknown[];
      };
      latencies.push(performance.now() - sentAt);
      events += body.events.length;
      return 'ok';
    } catch (error) {
      if (request.gate === true && error instanceof HttpError && error.status === 422) {
        refused++;
        return 'refused';
      }
      failures.push(error instanceof Error ? error.message : String(error));
      return 'failed';
    }
  };

  const client = async () => {
    while (!over()) {
      const sampled = performance.now() >= nextSampleAt;
      if (sampled) {
        nextSampleAt += 1000;
        const occurredAt = new Date(sampleBase + sampleIndex++);
        const outcome = await send(capture(randomUUID(), occurredAt));
        const appendedAt = performance.now();
        if (outcome === 'ok') watchers.push(watch(occurredAt, appendedAt));
        continue;
      }
      for (const request of journey(randomUUID())) {
        const outcome = await send(request);
        if (outcome !== 'ok') break;
      }
    }
  };

  const watch = async (occurredAt: Date, appendedAt: number): Promise<void> => {
    const from = occurredAt.toISOString();
    const to = new Date(occurredAt.getTime() + 1).toISOString();
    const path = `/analytics/funnel?capturedFrom=${from}&capturedTo=${to}`;
    for (;;) {
      const rows = (await api.get(path)) as { stage: string; leads: number }[];
      if (rows.some((row) => row.stage === 'captured' && row.leads >= 1)) {
        visible.push(performance.now() - appendedAt);
        return;
      }
      if (performance.now() - appendedAt > GIVE_UP_MS) {
        invisible++;
        return;
      }
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  };

  await Promise.all(Array.from({ length: options.concurrency }, client));
  const seconds = (performance.now() - started) / 1000;
  await Promise.all(watchers);
  return { requests, events, refused, latencies, failures, visible, invisible, seconds };
}

function capture(leadId: string, occurredAt?: Date): JourneyRequest {
  const n = Number.parseInt(leadId.slice(0, 4), 16);
  return captureRequest(leadId, 'Live', {
    accountId: `acct-live-${n % 500}`,
    ...(occurredAt === undefined ? {} : { occurredAt: occurredAt.toISOString() }),
  });
}

/** One lead's requests: most become one event each; the MQL decision may be refused. */
function journey(leadId: string): JourneyRequest[] {
  return [capture(leadId), ...journeyAfterCapture(leadId)];
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? (error.stack ?? error.message) : error);
  process.exit(1);
});
