/**
 * Rule replays, run where the analytics are (embedded chDB belongs to this process): a what-if
 * replays a draft into a shadow set, `apply` replays a published version before switching to
 * it. One replay per rule set at a time; the progress of each job is kept for the CLI to poll.
 *
 * A killed replay (SIGKILL, crash) resumes from its checkpoint when asked again; at start-up
 * the active set is brought to 'ready' if it is not (a store from before rule sets existed, or
 * a replay that was killed).
 *
 * At start-up, too, every kept set whose rows were computed by other code (rule_sets.facts_version
 * is not this build's ruleFactsVersion: a deploy changed the classifier or the rules pass) is
 * re-derived, the active set first, then the others one at a time: the log says which and by
 * what code, /health lists the ones left and readiness fails until none is (ADR 0005).
 *
 * It must never run two replays of one set at once: in this process a map of running jobs
 * decides, and starts of one set queue, so two asked for at the same moment cannot both pass it;
 * across processes (ClickHouse server, several API replicas) a 'building' set whose owner is
 * another process and whose heartbeat is younger than the lease is refused too. The start-up
 * re-derivation does not give up on such a set: it waits, polling, until the other replica has
 * finished it (found current, nothing replayed here) or its lease ran out (taken over from its
 * checkpoint), so every replica becomes ready without a restart.
 * In the split deployment (TANDEM_PROJECTOR=off: a Kafka-fed projector writes the analytics) a
 * set may be marked by another build after this process started: a projector of that build
 * registered it, or a replica of it replayed it. This process then looks every few seconds
 * (rule_facts_processes, where it says it is alive too) and re-derives such a set once a
 * projector of this build is alive (waiting for it) and no process of the set's build is: the
 * projector would otherwise wait until this API restarts, and two builds running side by side
 * never take a set from each other back and forth (ADR 0005, rederivableNow).
 * On shutdown the running replays stop after their current batch, before the analytics close:
 * their sets stay 'building' at their checkpoints, to resume when asked again (the active set
 * at the next start), and the stop is logged as one, never as a failure.
 */
import { hostname } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  ConflictException,
  Inject,
  Injectable,
  Logger,
  NotFoundException,
  type OnApplicationBootstrap,
  type OnModuleDestroy,
  type OnModuleInit,
  Optional,
} from '@nestjs/common';
import {
  describeRuleSet,
  factsOutdated,
  needsReplay,
  newRuleSet,
  processBeatMs,
  rederivableNow,
  ruleFactsVersion,
  ruleSetKey,
  type RuleSet,
  type RuleSetKey,
  type RuleSetKind,
} from '@tandem/analytics';
import type { TandemConfig } from '@tandem/config';
import type { FunnelDefinition } from '@tandem/domain';
import type { EventStore } from '@tandem/event-store';
import { v7 as uuidv7 } from 'uuid';
import { EmbeddedProjector } from '../projector/embedded-projector.service';
import { ActiveDefinition } from '../definitions/active-definition.service';
import type { AnalyticsHandle } from '../platform/analytics.provider';
import { ANALYTICS, EVENT_STORE, TANDEM_CONFIG } from '../platform/tokens';
import { KeptJobs } from './kept-jobs';

export interface ReplayView extends RuleSetKey {
  readonly id: string;
  readonly kind: RuleSetKind;
  readonly status: 'running' | 'done' | 'failed';
  readonly resumed: boolean;
  readonly eventsDone: number;
  readonly eventsTotal: number;
  readonly eventsPerSecond: number | null;
  readonly etaSeconds: number | null;
  readonly startedAt: string;
  readonly finishedAt: string | null;
  readonly error: string | null;
}

interface Job {
  view: ReplayView;
  /** eventsDone when this run started (a resumed run starts above 0) and when, for the rate. */
  readonly baseline: { events: number | null; at: number };
  /** Settles when the run ends, done or failed (never rejects); absent for a finished job. */
  finished?: Promise<void>;
}

const keyOf = (key: RuleSetKey) => `${key.rulesVersion}/${key.definitionHash}`;

/** A kept set whose rows other code computed, waiting in this process to be re-derived. */
export interface OutdatedFacts extends RuleSetKey {
  /** The facts version its rows were computed by ('' when unknown: before migration 0039). */
  readonly computedBy: string;
}

/** Why a replay ended without its set ready: the API shut down; it resumes when asked again. */
export class ReplayStoppedError extends Error {
  constructor() {
    super('stopped by the API shutting down; it resumes from its checkpoint when started again');
    this.name = 'ReplayStoppedError';
  }
}

/**
 * Another process holds the set's replay lease (ClickHouse server, several API replicas): its
 * 'building' row names it as owner and its heartbeat is younger than the lease. A 409 at the
 * HTTP edge; the start-up re-derivation waits instead (RuleReplays.startWhenFree).
 */
export class ReplayLeaseHeldError extends ConflictException {
  constructor(
    readonly key: RuleSetKey,
    readonly holder: string,
    readonly heartbeatAt: string,
    progress: { readonly eventsDone: number; readonly eventsTotal: number },
    leaseSeconds: number,
  ) {
    super(
      `${describeRuleSet(key)} is being replayed by ${holder} (last heartbeat ${heartbeatAt}, ` +
        `${progress.eventsDone}/${progress.eventsTotal} events); wait for it, or retry after ` +
        `${leaseSeconds} s without a heartbeat to take it over`,
    );
  }
}

/**
 * How often the start-up re-derivation looks again at a set another replica holds: a fifth of
 * the lease (so a dead holder is taken over soon after its lease runs out), at most 5 s (so a
 * finished one is noticed soon), at least 100 ms.
 */
export const leaseWaitMs = (leaseSeconds: number): number =>
  Math.min(5_000, Math.max(100, Math.round((leaseSeconds * 1000) / 5)));

/** Settles as `work` does, or rejects with ReplayStoppedError once `stopping` aborts. */
function unlessStopped<T>(work: Promise<T>, stopping: AbortSignal): Promise<T> {
  if (stopping.aborted) return Promise.reject(new ReplayStoppedError());
  return new Promise<T>((resolve, reject) => {
    const stop = () => reject(new ReplayStoppedError());
    stopping.addEventListener('abort', stop, { once: true });
    work.then(resolve, reject).finally(() => stopping.removeEventListener('abort', stop));
  });
}

@Injectable()
export class RuleReplays implements OnModuleInit, OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger('rule-replays');
  private readonly owner = `${hostname()}:${process.pid}:${uuidv7()}`;
  private readonly jobs = new KeptJobs<Job>();
  private readonly running = new Map<string, Job>();
  /** Per set, settles when the starts asked for so far have decided (see start). */
  private readonly starting = new Map<string, Promise<void>>();
  /** Aborted on shutdown: running replays stop after their current batch. */
  private readonly stopping = new AbortController();
  /** Kept sets whose rows other code computed, by key, until this process re-derived them. */
  private readonly outdated = new Map<string, { set: RuleSet; computedBy: string }>();
  /**
   * The split deployment's loops until shutdown: this process's beat (its own, so a replay of
   * many minutes does not make it look gone) and the look for sets other builds left.
   */
  private beating: Promise<void> = Promise.resolve();
  private watching: Promise<void> = Promise.resolve();

  constructor(
    @Inject(ANALYTICS) private readonly analytics: AnalyticsHandle,
    @Inject(EVENT_STORE) private readonly store: EventStore,
    @Inject(TANDEM_CONFIG) private readonly config: TandemConfig,
    private readonly definitions: ActiveDefinition,
    @Optional() private readonly projector?: EmbeddedProjector,
  ) {}

  /** Before any request (one read of rule_sets): /health and readiness know from the first. */
  async onModuleInit(): Promise<void> {
    // Alive before the start's re-derivations: a replica of another build sees it from now.
    if (this.splitDeployment) {
      await this.beat();
      this.beating = this.everyBeat(() => this.beat());
    }
    await this.findOutdatedFacts();
  }

  onApplicationBootstrap(): void {
    // In the background: the API serves while the active set is (re)built.
    const started = this.ensureActiveReady().catch((error: unknown) => {
      const message = error instanceof Error ? error.message : String(error);
      if (this.stopped) {
        this.logger.log(`the active rule set was not brought to ready before shutdown: ${message}`);
      } else {
        this.logger.error(`could not bring the active rule set to ready: ${message}`);
      }
    });
    if (this.splitDeployment) {
      this.watching = started.then(() => this.everyBeat(() => this.rederiveWhatOtherBuildsLeft()));
    }
  }

  /** The Kafka-fed projector writes the analytics: sets may change builds while this runs. */
  private get splitDeployment(): boolean {
    return this.config.projector === 'off';
  }

  /** Says in rule_facts_processes that this process is alive, with this build's code. */
  private async beat(): Promise<void> {
    try {
      await this.analytics.ruleSets.beat(this.owner, 'api');
    } catch (error) {
      this.logger.warn(
        `could not say this process is alive (rule_facts_processes): ${error instanceof Error ? error.message : String(error)}`,
      );
    }
  }

  /** Runs `look` every processBeatMs until shutdown; a failed look is logged, the next one runs. */
  private async everyBeat(look: () => Promise<void>): Promise<void> {
    const every = processBeatMs(this.config.replay.leaseSeconds);
    while (!this.stopped) {
      try {
        await look();
      } catch (error) {
        if (this.stopped) return;
        this.logger.warn(
          `a background look at rule_sets failed (looking again shortly): ${error instanceof Error ? error.message : String(error)}`,
        );
      }
      const slept = await sleep(every, true, { signal: this.stopping.signal }).catch(() => false);
      if (!slept) return;
    }
  }

  /**
   * Re-derives, one at a time, each kept set another build computed that rederivableNow allows
   * (a projector of this build alive, no process of the set's build). Such a set joins
   * `outdated` meanwhile, so /health lists it and readiness fails until it is done, as at start.
   */
  private async rederiveWhatOtherBuildsLeft(): Promise<void> {
    const { ruleSets } = this.analytics;
    const [sets, alive] = await Promise.all([
      ruleSets.list(),
      ruleSets.liveProcesses(this.config.replay.leaseSeconds),
    ]);
    for (const set of rederivableNow(sets, alive)) {
      if (this.stopped) return;
      if (!this.outdated.has(keyOf(set))) {
        this.outdated.set(keyOf(set), { set, computedBy: set.factsVersion });
        this.logger.warn(
          `${describeRuleSet(set)} holds rows computed by ${set.factsVersion || 'unrecorded code'} ` +
            `since this process started; no process of that build is alive and a projector of ` +
            `this one (facts version ${ruleFactsVersion()}) waits for it: re-deriving it`,
        );
      }
      const job = await this.startWhenFree(set.definition, set.kind);
      if (job.status === 'running')
        this.logger.log(`re-deriving ${describeRuleSet(set)} (${set.kind})`);
      await this.settled(job.id);
    }
  }

  /**
   * Stops the running replays after their current batch and waits for them, so that none
   * writes into analytics being closed; starts no other.
   */
  async onModuleDestroy(): Promise<void> {
    this.stopping.abort();
    await Promise.all([
      ...[...this.running.values()].flatMap((job) => job.finished ?? []),
      this.beating,
      this.watching,
    ]);
  }

  /** True once the API shuts down: what ends now was stopped, not failed. */
  get stopped(): boolean {
    return this.stopping.signal.aborted;
  }

  /** The kept sets whose rows other code computed, as this process has still to re-derive. */
  outdatedFacts(): OutdatedFacts[] {
    return [...this.outdated.values()].map(({ set, computedBy }) => ({
      ...ruleSetKey(set.definition),
      computedBy,
    }));
  }

  private async findOutdatedFacts(): Promise<void> {
    const outdated = (await this.analytics.ruleSets.list()).filter(factsOutdated);
    for (const set of outdated) {
      this.outdated.set(keyOf(set), { set, computedBy: set.factsVersion });
    }
    if (outdated.length === 0) return;
    const which = outdated
      .map((set) => `${describeRuleSet(set)} by ${set.factsVersion || 'unrecorded code'}`)
      .join(', ');
    this.logger.warn(
      `rule-derived rows computed by other code than this (facts version ${ruleFactsVersion()}): ` +
        `${which}; re-deriving them, the active set first (not ready until done)`,
    );
  }

  private async ensureActiveReady(): Promise<void> {
    await unlessStopped(this.caughtUp(), this.stopping.signal);
    const active = await this.definitions.active();
    const job = await this.startWhenFree(active.definition, 'published');
    if (job.status === 'running') {
      this.logger.log(`active ${describeRuleSet(job)} is not ready: replaying`);
    }
    await this.settled(job.id);
    // Then every other set whose rows other code computed, one at a time (one replay's
    // statements already keep chDB busy). Joined when a request started it meanwhile.
    for (const { set } of [...this.outdated.values()]) {
      if (this.stopped) return;
      const rederived = await this.startWhenFree(set.definition, set.kind);
      if (rederived.status === 'running') {
        this.logger.log(`re-deriving ${describeRuleSet(set)} (${set.kind})`);
      }
      await this.settled(rederived.id);
    }
  }

  /**
   * startOrJoin, waiting while another replica holds the set's lease: polled every
   * leaseWaitMs until that replica finished it (the set is found current: a finished job, and
   * it leaves `outdated`) or its heartbeat is older than the lease (this process takes the set
   * over and resumes from its checkpoint). Rejects with ReplayStoppedError once the API stops.
   */
  private async startWhenFree(
    definition: FunnelDefinition,
    kind: RuleSetKind,
  ): Promise<ReplayView> {
    let waitedFor: string | null = null;
    for (;;) {
      try {
        const job = await this.startOrJoin(definition, kind);
        if (waitedFor !== null && job.status === 'running') {
          this.logger.log(
            `${describeRuleSet(job)}: ${waitedFor} no longer holds it; replaying it here`,
          );
        }
        return job;
      } catch (error) {
        if (!(error instanceof ReplayLeaseHeldError)) throw error;
        if (waitedFor !== error.holder) {
          waitedFor = error.holder;
          this.logger.log(
            `${describeRuleSet(error.key)} is being replayed by ${error.holder} (last heartbeat ` +
              `${error.heartbeatAt}): waiting until it finishes or its lease of ` +
              `${this.config.replay.leaseSeconds} s runs out`,
          );
        }
      }
      await sleep(leaseWaitMs(this.config.replay.leaseSeconds), undefined, {
        signal: this.stopping.signal,
      }).catch(() => {
        throw new ReplayStoppedError();
      });
      // Meanwhile other replicas may have re-derived other sets this one still lists.
      await this.forgetRederivedElsewhere();
    }
  }

  /** Drops from `outdated` the sets ClickHouse now holds ready and computed by this code. */
  private async forgetRederivedElsewhere(): Promise<void> {
    if (this.outdated.size === 0) return;
    for (const set of await this.analytics.ruleSets.list()) {
      if (!needsReplay(set) && !factsOutdated(set)) this.forgetOutdated(set);
    }
  }

  /** A set found ready and computed by this code: if this process listed it, no longer. */
  private forgetOutdated(key: RuleSetKey): void {
    if (!this.outdated.delete(keyOf(key))) return;
    this.logger.log(
      `${describeRuleSet(key)}: found re-derived by this code (facts version ${ruleFactsVersion()}) elsewhere; nothing to replay here`,
    );
  }

  /** Embedded mode: lets the projector reach the store's head, so lead_events holds it all. */
  private async caughtUp(): Promise<void> {
    if (!this.projector) return;
    const head = await this.store.headPosition();
    if (head !== null) await this.projector.waitFor(head, 600_000);
  }

  /**
   * Starts (or resumes) the replay of `definition` as a `kind` set; returns its job. A set
   * already ready returns a finished job at once. Starts of one set run one after another: a
   * start reads the set's state from ClickHouse before its job is running, and a second start
   * asked for meanwhile (two requests at once, or an apply beside a replay) would pass the
   * same checks and run a second replay of the set beside the first. Queued, it finds the
   * first running and is refused.
   */
  start(definition: FunnelDefinition, kind: RuleSetKind): Promise<ReplayView> {
    return this.oneStartAtATime(definition, () => this.startNow(definition, kind, false));
  }

  /** As start, but a replay of the set already running is joined (its job), not refused. */
  startOrJoin(definition: FunnelDefinition, kind: RuleSetKind): Promise<ReplayView> {
    return this.oneStartAtATime(definition, () => this.startNow(definition, kind, true));
  }

  private oneStartAtATime(
    definition: FunnelDefinition,
    work: () => Promise<ReplayView>,
  ): Promise<ReplayView> {
    const id = keyOf(ruleSetKey(definition));
    const started = (this.starting.get(id) ?? Promise.resolve()).then(work);
    const settled = started.then(
      () => undefined,
      () => undefined,
    );
    this.starting.set(id, settled);
    void settled.then(() => {
      if (this.starting.get(id) === settled) this.starting.delete(id);
    });
    return started;
  }

  private async startNow(
    definition: FunnelDefinition,
    kind: RuleSetKind,
    join: boolean,
  ): Promise<ReplayView> {
    if (this.stopped) throw new ReplayStoppedError();
    const key = ruleSetKey(definition);
    const runningJob = this.running.get(keyOf(key));
    if (runningJob) {
      if (join) return runningJob.view;
      throw this.alreadyRunning(runningJob.view);
    }
    const { ruleSets } = this.analytics;
    const stored = await ruleSets.find(key);
    const persisted =
      stored !== null && kind === 'published' ? await ruleSets.promoteToPublished(stored) : stored;
    const now = new Date().toISOString();
    if (persisted !== null && !needsReplay(persisted) && !factsOutdated(persisted)) {
      this.forgetOutdated(key);
      return this.remember({
        view: {
          ...key,
          id: uuidv7(),
          kind: persisted.kind,
          status: 'done',
          resumed: false,
          eventsDone: persisted.eventsDone,
          eventsTotal: persisted.eventsTotal,
          eventsPerSecond: null,
          etaSeconds: 0,
          startedAt: now,
          finishedAt: now,
          error: null,
        },
        baseline: { events: null, at: Date.now() },
      }).view;
    }
    if (
      persisted?.status === 'building' &&
      persisted.owner !== this.owner &&
      persisted.owner !== '' &&
      this.config.clickhouse.mode === 'server' &&
      Date.now() - Date.parse(persisted.heartbeatAt) < this.config.replay.leaseSeconds * 1000
    ) {
      throw new ReplayLeaseHeldError(
        key,
        persisted.owner,
        persisted.heartbeatAt,
        persisted,
        this.config.replay.leaseSeconds,
      );
    }
    const job: Job = {
      view: {
        ...key,
        id: uuidv7(),
        kind: persisted?.kind ?? kind,
        status: 'running',
        resumed: false,
        eventsDone: 0,
        eventsTotal: 0,
        eventsPerSecond: null,
        etaSeconds: null,
        startedAt: now,
        finishedAt: null,
        error: null,
      },
      baseline: { events: null, at: Date.now() },
    };
    this.remember(job);
    this.running.set(keyOf(key), job);
    job.finished = this.run(job, definition, kind);
    return job.view;
  }

  private async run(job: Job, definition: FunnelDefinition, kind: RuleSetKind): Promise<void> {
    const key = ruleSetKey(definition);
    try {
      await unlessStopped(this.caughtUp(), this.stopping.signal);
      const set = await this.analytics.ruleSets.replay(newRuleSet(definition, kind, 'building'), {
        owner: this.owner,
        batchLeads: this.config.replay.batchLeads,
        signal: this.stopping.signal,
        onProgress: (progress) => {
          const baseline = (job.baseline.events ??= progress.eventsDone);
          const seconds = (Date.now() - job.baseline.at) / 1000;
          const rate = seconds > 0 ? (progress.eventsDone - baseline) / seconds : null;
          job.view = {
            ...job.view,
            resumed: progress.resumed,
            eventsDone: progress.eventsDone,
            eventsTotal: progress.eventsTotal,
            eventsPerSecond: rate === null ? null : Math.round(rate),
            etaSeconds:
              rate !== null && rate > 0
                ? Math.ceil((progress.eventsTotal - progress.eventsDone) / rate)
                : null,
          };
        },
      });
      // Stopped after a batch: the set stays 'building' at its checkpoint, to resume later.
      if (set.status !== 'ready') throw new ReplayStoppedError();
      job.view = {
        ...job.view,
        status: 'done',
        etaSeconds: 0,
        finishedAt: new Date().toISOString(),
      };
      this.logger.log(`${describeRuleSet(key)} replayed: ${job.view.eventsDone} events`);
      if (this.outdated.delete(keyOf(key))) {
        this.logger.log(
          `${describeRuleSet(key)}: rule-derived rows re-derived by this code (facts version ${ruleFactsVersion()})`,
        );
      }
    } catch (error) {
      // A statement cut short by the shutdown is a stop too: its batch is not checkpointed.
      const stopped = error instanceof ReplayStoppedError || this.stopped;
      const message = stopped
        ? new ReplayStoppedError().message
        : error instanceof Error
          ? error.message
          : String(error);
      job.view = {
        ...job.view,
        status: 'failed',
        error: message,
        finishedAt: new Date().toISOString(),
      };
      if (stopped) this.logger.log(`replay of ${describeRuleSet(key)} ${message}`);
      else this.logger.error(`replay of ${describeRuleSet(key)} failed: ${message}`);
    } finally {
      this.running.delete(keyOf(key));
    }
  }

  get(id: string): ReplayView {
    const view = this.find(id);
    if (view === null) throw new NotFoundException(`no replay ${id} in this process`);
    return view;
  }

  /** The job, or null when this process does not remember it. */
  find(id: string): ReplayView | null {
    return this.jobs.get(id)?.view ?? null;
  }

  /** The job once it is no longer running: `done` or `failed`, never a rejection. */
  async settled(id: string): Promise<ReplayView> {
    const job = this.jobs.get(id);
    if (!job) throw new NotFoundException(`no replay ${id} in this process`);
    await job.finished;
    return job.view;
  }

  /** Every job this process remembers (the newest hundred), for the replay metrics. */
  list(): ReplayView[] {
    return this.jobs.values().map((job) => job.view);
  }

  /** True while this process re-derives the set: listed as outdated at start, or replaying. */
  rederiving(key: RuleSetKey): boolean {
    return this.outdated.has(keyOf(key)) || this.running.has(keyOf(key));
  }

  /** The running replay of a set, if any. */
  runningFor(key: RuleSetKey): ReplayView | null {
    return this.running.get(keyOf(key))?.view ?? null;
  }

  private alreadyRunning(view: ReplayView): ConflictException {
    return new ConflictException(
      `a replay of ${describeRuleSet(view)} is already running (job ${view.id}, ` +
        `${view.eventsDone}/${view.eventsTotal} events since ${view.startedAt}); ` +
        `follow it with GET /ops/rules/replays/${view.id}`,
    );
  }

  private remember(job: Job): Job {
    return this.jobs.remember(job.view.id, job);
  }
}
