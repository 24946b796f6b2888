/**
 * Exact under crashes (issue 10, item 4). An API process is SIGKILLed at randomized moments
 * while it does real work — its embedded projector catching up on a fresh wave of events, a
 * rebuild, a replay of a draft's rules — and restarted each time; the Kafka-fed projector is
 * killed while it consumes. Once caught up, every view under every kept rule set must be byte
 * for byte what a clean projection of the same events (a second API with empty analytics, the
 * same drafts replayed) gives. A difference names the view and shows where it starts.
 *
 * It exists because a projector that resumed from the highest position found in lead_events
 * (commit 301ac7c) lost the rule-derived rows of any batch killed after its lead rows and before
 * its checkpoint: run against that code, this test fails on the MQL counts of every rule set.
 *
 * The moments come from a seeded generator: the seed is printed, and TANDEM_CRASH_SEED=<seed>
 * replays the same data and schedule (where a kill lands within a batch still depends on the
 * machine). Real processes from dist/, one PostgreSQL store per test, chDB per process.
 */
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { closeAnalyticsClient, createAnalyticsClient, readRuleSets } from '@tandem/analytics';
import { encodeForStore, type TandemEvent } from '@tandem/contracts';
import {
  campaignStreamId,
  DEFINITIONS_STREAM,
  defaultFunnelDefinition,
  definitionHash,
  type FunnelDefinition,
  leadStreamId,
  TARGETS_STREAM,
} from '@tandem/domain';
import { loadConfig } from '@tandem/config';
import { createEventStore, type EventStore, type EventToAppend } from '@tandem/event-store';
import { eventually } from './support/eventually';
import { auditEventsTopic } from './support/events-topic-audit';
import {
  describeWhenPostgres,
  dropSchema,
  freshSchemaName,
  postgresUnavailableReason,
  TEST_POSTGRES_URL,
} from './support/postgres';
import { scoredLeads } from './support/scored-leads';
import { readViews, type ViewBodies } from './support/view-fingerprint';
import { startWorker, type Worker } from './support/worker-process';
import {
  type ApiHealth as Health,
  baseUrl,
  committedHead,
  crashSeed,
  expectSameViews as expectSame,
  opsCall as call,
  pause,
  type ReplayView,
  settle,
} from './support/crash-api';
import { SeededRandom } from '../apps/cli/src/demo/seeded-random';

jest.setTimeout(600_000);

const seed = crashSeed('projection-crash');

/** The demo's seeded PRNG, as scored-leads uses it: the schedule of one seed is always the same. */
function seeded(start: number): () => number {
  const rng = new SeededRandom(start);
  return () => rng.next();
}

function shuffled<T>(next: () => number, items: readonly T[]): T[] {
  const copy = [...items];
  for (let i = copy.length - 1; i > 0; i--) {
    const j = Math.floor(next() * (i + 1));
    [copy[i], copy[j]] = [copy[j]!, copy[i]!];
  }
  return copy;
}

const uuid = (next: () => number) => {
  const hex = (length: number) =>
    Array.from({ length }, () => Math.floor(next() * 16).toString(16)).join('');
  return `${hex(8)}-${hex(4)}-7${hex(3)}-8${hex(3)}-${hex(12)}`;
};

/**
 * Appends one wave: `leads` scored leads (varied fit, touchpoints, anonymous visitors' touches
 * stitched at capture, live MQL decisions, sales outcomes) with campaign spend and targets
 * among them, so that the planning facts are written in the same batches as lead rows. Returns
 * how many events it appended.
 */
async function appendWave(
  store: EventStore,
  next: () => number,
  wave: number,
  leads: number,
  used: Set<string>,
): Promise<number> {
  const meta = (occurredAt: string) => ({
    eventId: uuid(next),
    leadId: null,
    accountId: null,
    occurredAt,
    correlationId: uuid(next),
    causationId: null,
    actor: { kind: 'system', id: 'crash-test', role: 'system' } as const,
  });
  const month = (offset: number) => new Date(Date.UTC(2025, 9 + wave + offset, 1));
  const planning = (index: number): { stream: string; event: TandemEvent; at: string } => {
    const spentOn = month(0).toISOString().slice(0, 10);
    if (index % 4 === 3) {
      return {
        stream: TARGETS_STREAM,
        at: month(0).toISOString(),
        event: {
          type: 'TargetSet',
          data: {
            team: index % 8 === 3 ? 'marketing' : 'sales',
            metric: index % 8 === 3 ? 'mqls' : 'won_revenue',
            period: spentOn.slice(0, 7),
            value: 10 + Math.floor(next() * 90_000),
            owner: null,
          },
        },
      };
    }
    const campaign = ['spring', 'autumn', 'always_on'][index % 3]!;
    return {
      stream: campaignStreamId(campaign),
      at: month(0).toISOString(),
      event: {
        type: 'CampaignSpendRecorded',
        data: {
          campaign,
          channel: ['paid_search', 'webinar', 'referral', 'trade_fair'][index % 4]!,
          amount: Math.floor(next() * 500_000) / 100,
          currency: 'EUR',
          spentOn,
        },
      },
    };
  };
  // Every event is drawn here, in order, so that the data depends on the seed alone; the
  // appends then run four at a time (the global order of the streams does not matter).
  const appends: { stream: string; events: EventToAppend[]; revision: 'no_stream' | 'any' }[] = [];
  // With anonymous visitors stitched at capture (ADR 0012): their touches are in streams of
  // their own, so a batch can hold a lead's capture without its visitor's touches or after them.
  const population = scoredLeads(leads, seed + 7919 * (wave + 1), month(0).getTime(), {
    visitors: true,
  });
  for (const [index, lead] of population.entries()) {
    // Lead ids carry six random hex digits after the index, and each wave draws from its own
    // seeded streams: skip a lead whose id or any event id another wave already used.
    const eventIds = [lead.events, ...lead.visitorStreams.map((v) => v.events)].flatMap((events) =>
      events.map((event) => event.eventId),
    );
    if (used.has(lead.leadId) || eventIds.some((id) => used.has(id))) continue;
    for (const id of [lead.leadId, ...eventIds]) used.add(id);
    appends.push({ stream: leadStreamId(lead.leadId), events: lead.events, revision: 'no_stream' });
    for (const visitor of lead.visitorStreams) {
      appends.push({ stream: visitor.streamId, events: visitor.events, revision: 'no_stream' });
    }
    if (index % 20 === 10) {
      const fact = planning(Math.floor(index / 20));
      const events = [encodeForStore(fact.event, meta(fact.at))];
      appends.push({ stream: fact.stream, events, revision: 'any' });
    }
  }
  // Leads four at a time; planning facts in one lane of their own (they share a few streams),
  // so they still land among the lead events of the same batches.
  const lane = (items: typeof appends) => async () => {
    for (let item = items.shift(); item !== undefined; item = items.shift()) {
      await store.append(item.stream, item.events, { expectedRevision: item.revision });
    }
  };
  const leadQueue = appends.filter((item) => item.revision === 'no_stream');
  const planningQueue = appends.filter((item) => item.revision === 'any');
  await Promise.all(
    [...Array.from({ length: 4 }, () => lane(leadQueue)), lane(planningQueue)].map((run) => run()),
  );
  return appends.reduce((sum, item) => sum + item.events.length, 0);
}

/** Leads per wave (a burst of about 1,400 events). */
const WAVE_LEADS = 300;

/** Drafts replayed as what-ifs, one per replay phase: each another shadow set to keep right. */
const drafts: FunnelDefinition[] = [65, 45, 80, 55].map((threshold, index) => ({
  ...defaultFunnelDefinition,
  version: 2 + index,
  name: `Crash what-if ${index + 1}`,
  mql: { ...defaultFunnelDefinition.mql, threshold },
}));

describeWhenPostgres(postgresUnavailableReason())('SIGKILL at random moments', () => {
  const workers: Worker[] = [];
  const schemas: string[] = [];
  const dirs: string[] = [];

  async function start(
    app: 'funnel-api' | 'relay' | 'projector',
    env: Record<string, string>,
  ): Promise<Worker> {
    const worker = await startWorker(app, env, 120_000);
    workers.push(worker);
    return worker;
  }

  async function freshStore(prefix: string) {
    const schema = freshSchemaName(prefix);
    schemas.push(schema);
    const dir = await mkdtemp(join(tmpdir(), `tandem-${prefix}-`));
    dirs.push(dir);
    const store = await createEventStore({ kind: 'postgres', url: TEST_POSTGRES_URL, schema });
    return { schema, dir, store };
  }

  const apiEnv = (schema: string, dataDir: string, extra: Record<string, string> = {}) => ({
    TANDEM_EVENT_STORE: 'postgres',
    TANDEM_POSTGRES_URL: TEST_POSTGRES_URL,
    TANDEM_POSTGRES_SCHEMA: schema,
    TANDEM_DATA_DIR: dataDir,
    // Small replay batches: many checkpoints, so a kill mid-replay leaves one to resume from.
    TANDEM_REPLAY_BATCH_LEADS: '25',
    // The views' snapshots of this small store too, so that kills land in their writes.
    TANDEM_VIEW_SNAPSHOT_MIN_LEADS: '0',
    TANDEM_LOG_LEVEL: 'warn',
    ...extra,
  });

  const expectSameViews = (clean: ViewBodies, crashed: ViewBodies, log: string[]) =>
    expectSame(clean, crashed, log, `TANDEM_CRASH_SEED=${seed}`);

  afterAll(async () => {
    for (const worker of workers) await worker.kill('SIGKILL');
    for (const schema of schemas) await dropSchema(schema);
    for (const dir of dirs) await rm(dir, { recursive: true, force: true });
  });

  it('embedded projector, rebuild and rules replay: every view equals a clean rebuild', async () => {
    const next = seeded(seed);
    const { schema, dir, store } = await freshStore('crash');
    const used = new Set<string>();
    // Set-based catch-up from a few hundred events behind, in slices of a few hundred: restarts
    // and rebuilds catch up through it, so kills land inside its slices too.
    const crashedEnv = apiEnv(schema, join(dir, 'crashed'), {
      TANDEM_BULK_CATCHUP_MIN_EVENTS: '300',
      TANDEM_BULK_CATCHUP_SLICE_EVENTS: '700',
    });
    const replayed: FunnelDefinition[] = [];
    const log: string[] = [];
    try {
      // The API's first start on an empty store publishes and applies version 1, as in
      // production; the leads come after it.
      let api = await start('funnel-api', crashedEnv);
      await settle(api, []);
      await api.kill('SIGTERM');
      let wave = 0;
      const firstWave = Date.now();
      await appendWave(store, next, wave, WAVE_LEADS, used);
      const firstWaveMs = Date.now() - firstWave;

      /** Starts the crashed API again; asks again for every replay (a killed one resumes). */
      const restart = async (quietly: boolean): Promise<void> => {
        api = await start('funnel-api', crashedEnv);
        if (quietly) await settle(api, replayed, () => committedHead(schema));
        else for (const draft of replayed) await call(api, '/ops/rules/replays', { draft });
      };

      /** A random moment within `expectedMs` of work, then SIGKILL; true if it was still busy. */
      const killWithin = async (expectedMs: number, busy: () => Promise<boolean>) => {
        const delay = Math.round(next() * expectedMs);
        await pause(delay);
        const wasBusy = await busy();
        await api.kill('SIGKILL');
        return { delay, wasBusy };
      };
      const projecting = async () => !(await api.health<Health>()).projector.caughtUp;

      // How long each kind of work takes here, learnt as the test goes: a kill that came after
      // the work was done shortens the next window.
      let waveMs = firstWaveMs;
      let backlogMs = 400;

      type Phase = 'catch-up' | 'rebuild' | 'replay';
      type Kill = [busy: boolean, detail: string];
      const phases: Record<Phase, () => Promise<Kill[]>> = {
        'catch-up': async () => {
          // Killed while it follows a burst of appends live (small batches, rules at the head)…
          await restart(false);
          const began = Date.now();
          const writing = appendWave(store, next, ++wave, WAVE_LEADS, used);
          const burst = await killWithin(waveMs, projecting);
          const events = await writing;
          waveMs = Date.now() - began;
          // …then while it catches up on what was appended meanwhile, after a restart.
          await restart(false);
          const backlog = await killWithin(backlogMs, projecting);
          backlogMs = backlog.wasBusy ? backlogMs * 1.2 : Math.max(50, backlog.delay * 0.7);
          return [
            [burst.wasBusy, `${burst.delay} ms into a burst of ${events} events (${waveMs} ms)`],
            [backlog.wasBusy, `${backlog.delay} ms into the catch-up after a restart`],
          ];
        },
        rebuild: async () => {
          // Once to the end to learn how long it takes, then killed within that time.
          await restart(true);
          const head = Number(await store.headPosition());
          const began = Date.now();
          await call(api, '/ops/rebuild', {});
          await eventually(
            async () => ((await projecting()) ? undefined : true),
            'a rebuild',
            120_000,
          );
          const rebuildMs = Date.now() - began;
          await call(api, '/ops/rebuild', {});
          const { delay, wasBusy } = await killWithin(0.8 * rebuildMs, projecting);
          return [[wasBusy, `${delay} ms into a rebuild of ${head} events (${rebuildMs} ms)`]];
        },
        replay: async () => {
          await restart(true);
          const draft = drafts[replayed.length % drafts.length]!;
          replayed.push(draft);
          const job = await call<ReplayView>(api, '/ops/rules/replays', { draft });
          const share = 0.05 + next() * 0.7;
          await eventually(
            async () => {
              const view = await call<ReplayView>(api, `/ops/rules/replays/${job.id}`);
              return view.status !== 'running' ||
                (view.eventsTotal > 0 && view.eventsDone >= share * view.eventsTotal)
                ? true
                : undefined;
            },
            `the replay of ${draft.name} passes ${Math.round(share * 100)} %`,
            120_000,
          );
          let view = job;
          await killWithin(50, async () => {
            view = await call<ReplayView>(api, `/ops/rules/replays/${job.id}`);
            return view.status === 'running';
          });
          return [
            [
              view.status === 'running',
              `replaying ${draft.name}, ${view.eventsDone}/${view.eventsTotal} events done`,
            ],
          ];
        },
      };

      // Rebuilds and replays first, in random order: a rebuild re-projects everything, so the
      // kills after the last one (ten, mid-burst and mid-catch-up) decide what the projection
      // is left with, and with every draft kept, the rules are computed for three sets by then.
      const schedule: Phase[] = [
        ...shuffled<Phase>(next, ['rebuild', 'replay', 'replay', 'catch-up']),
        ...Array.from({ length: 5 }, () => 'catch-up' as const),
      ];
      const midWork = new Map<Phase, number>();
      let kills = 0;
      for (const phase of schedule) {
        // A phase whose kills all came too late (the work was done) is tried again.
        for (let attempt = 0; attempt < 4; attempt++) {
          const outcomes = await phases[phase]();
          for (const [busy, detail] of outcomes) {
            log.push(`kill ${++kills}, ${phase}, ${busy ? 'mid-work' : 'too late'}: ${detail}`);
            if (busy) midWork.set(phase, (midWork.get(phase) ?? 0) + 1);
          }
          if (outcomes.some(([busy]) => busy)) break;
        }
      }

      await restart(true);
      const crashed = await readViews(baseUrl(api));
      await api.kill('SIGTERM');

      // The reference: the same events projected once, into empty analytics, the same drafts.
      // The reference projects batch by batch (TypeScript path): the crashed API's set-based
      // catch-ups must end in the same views.
      const clean = await start(
        'funnel-api',
        apiEnv(schema, join(dir, 'clean'), { TANDEM_BULK_CATCHUP: 'off' }),
      );
      await settle(clean, replayed, () => committedHead(schema));
      const expected = await readViews(baseUrl(clean));
      await clean.kill('SIGTERM');

      log.push(`kills mid-work: ${JSON.stringify(Object.fromEntries(midWork))}`);
      expectSameViews(expected, crashed, log);
      expect([...midWork.values()].reduce((sum, n) => sum + n, 0)).toBeGreaterThanOrEqual(5);
      expect([...midWork.keys()].sort()).toEqual(['catch-up', 'rebuild', 'replay']);
    } finally {
      console.log(log.join('\n'));
      await store.close();
    }
  });

  it('Kafka-fed projector: every view equals an embedded clean rebuild', async () => {
    const brokers = process.env.TANDEM_TEST_KAFKA_BROKERS;
    if (!brokers)
      throw new Error(
        'TANDEM_TEST_KAFKA_BROKERS is not set: the int global setup starts the broker',
      );
    const next = seeded(seed ^ 0x5eed);
    const { schema, dir, store } = await freshStore('crash_kafka');
    const used = new Set<string>();
    const projectorDir = join(dir, 'projector');
    const env = apiEnv(schema, projectorDir, {
      TANDEM_KAFKA: 'on',
      KAFKA_BROKERS: brokers,
      TANDEM_KAFKA_TOPIC: `tandem.crash.${randomUUID()}`,
      TANDEM_KAFKA_PARTITIONS: '3',
      TANDEM_KAFKA_REPLICATION: '1',
      TANDEM_KAFKA_GROUP: `projector-${randomUUID()}`,
      TANDEM_RELAY_BATCH: '200',
      TANDEM_PROJECTOR: 'off',
    });
    const log: string[] = [];
    const projectorKills: boolean[] = [];
    try {
      // What the API's first start appends: version 1 of the dictionary, in force. Projected
      // before any lead, its set is complete by construction (ready, no replay needed).
      const bootstrap = { kind: 'system', id: 'tandem-bootstrap', role: 'system' } as const;
      await store.append(
        DEFINITIONS_STREAM,
        (
          [
            {
              type: 'FunnelDefinitionPublished',
              data: { version: 1, definition: defaultFunnelDefinition },
            },
            {
              type: 'FunnelDefinitionActivated',
              data: {
                version: 1,
                definitionHash: definitionHash(defaultFunnelDefinition),
                previousVersion: null,
              },
            },
          ] as const
        ).map((event) =>
          encodeForStore(event, {
            eventId: uuid(next),
            leadId: null,
            accountId: null,
            occurredAt: '2025-09-01T00:00:00.000Z',
            correlationId: uuid(next),
            causationId: null,
            actor: bootstrap,
          }),
        ),
        { expectedRevision: 'no_stream' },
      );
      let relay = await start('relay', env);
      let projector = await start('projector', env);
      const drained = async () => {
        const head = await store.headPosition();
        // Not only what readers see yet: every event committed (see committedHead).
        if (head !== (await committedHead(schema))) return undefined;
        const r = await relay.health<{ checkpoint: string | null }>();
        const p = await projector.health<{ lag: string; partitions: unknown[] }>();
        return r.checkpoint === head?.toString() && p.partitions.length === 3 && p.lag === '0'
          ? true
          : undefined;
      };

      // The projector first (its restart waits for the group to give up on the killed member,
      // so once is enough), then the relay: each killed while a wave is being written, relayed
      // and consumed in small batches, after what came before was drained.
      const victims: ('projector' | 'relay')[] = ['projector', 'relay'];
      for (let victim = victims.shift(); victim !== undefined; victim = victims.shift()) {
        await eventually(drained, 'relay and projector are caught up', 120_000);
        let events = 0;
        const writing = appendWave(store, next, log.length, 250, used).then((n) => (events = n));
        const target = next() * 0.5 * 250 * 4;
        await eventually(
          async () => {
            const { projected } = await projector.health<{ projected: number }>();
            return projected >= target || (events > 0 && (await drained())) ? true : undefined;
          },
          `the projector passes ${Math.round(target)} rows`,
          120_000,
        );
        await pause(next() * 200);
        const busy = events === 0 || (await drained()) === undefined;
        const { projected } = await projector.health<{ projected: number }>();
        await (victim === 'projector' ? projector : relay).kill('SIGKILL');
        await writing;
        log.push(
          `Kafka ${victim} kill: ${busy ? 'mid-work' : 'too late'}, after ${projected} of ${events} rows of the wave were projected`,
        );
        if (victim === 'projector') projectorKills.push(busy);
        // Too late (the wave was already projected): the projector once more, to be sure.
        if (victim === 'projector' && !busy && projectorKills.length < 3) victims.push('projector');
        if (victim === 'projector') projector = await start('projector', env);
        else relay = await start('relay', env);
      }
      await eventually(drained, 'relay and projector drain the topic', 240_000);
      await projector.kill('SIGTERM');
      await relay.kill('SIGTERM');

      // What a downstream service reads from the topic after the relay's kill: every event at
      // least once, each stream in order on its lead's partition, the event id to dedupe by.
      const config = loadConfig(env).kafka!;
      const audit = await auditEventsTopic(config, config.topic.name, store);
      log.push(
        `topic: ${audit.events} events in the store, ${audit.messages} messages, ${audit.duplicates} redelivered by the relay`,
      );
      expect(audit.problems).toEqual([]);

      // Read through an API that does not project. It would replay a set that is not ready,
      // which would hide what the projector left: so check first that none needs it.
      const analytics = await createAnalyticsClient({
        mode: 'embedded',
        path: join(projectorDir, 'chdb'),
      });
      try {
        const sets = await readRuleSets(analytics, { database: 'tandem' });
        expect(sets.map((set) => set.status)).toEqual(['ready']);
      } finally {
        await closeAnalyticsClient(analytics);
      }
      const viewer = await start(
        'funnel-api',
        apiEnv(schema, projectorDir, { TANDEM_PROJECTOR: 'off' }),
      );
      const crashed = await readViews(baseUrl(viewer));
      await viewer.kill('SIGTERM');

      const clean = await start('funnel-api', apiEnv(schema, join(dir, 'clean')));
      await settle(clean, [], () => committedHead(schema));
      const expected = await readViews(baseUrl(clean));
      await clean.kill('SIGTERM');
      expectSameViews(expected, crashed, log);
      expect(projectorKills).toContain(true);
    } finally {
      console.log(log.join('\n'));
      await store.close();
    }
  });
});
