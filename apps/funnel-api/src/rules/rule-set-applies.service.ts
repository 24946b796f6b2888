/**
 * "Apply a published version" as one sequence owned here, on the server: replay the version's
 * rule set if it is not built (or join the replay already building it), wait until it is
 * ready, then activate it through RuleSetActivation. Each apply is a job the client polls
 * (GET /ops/rules/applies/:id), with the replay's progress inside, so ops see the same thing
 * from `tandem rules apply`, curl or a dashboard, and a dropped connection loses nothing.
 *
 * Idempotent: one apply per rule set at a time in this process; asking again while one runs
 * joins it (same job, no second replay), and asking again after it ended activates the version
 * already active, which the dictionary's decider answers without a new event. An apply may
 * insist on the version or the very activation in force (ActivationPreconditions): checked when
 * asked, so a stale one is refused before any replay, and again by the activation at the end, so
 * an activation made by someone else meanwhile is not rolled back. A request that joins a
 * running apply is checked when asked; the activation then runs under the first one's.
 *
 * It never authorises (the route's decorator and the activation's command handler do) and
 * never touches ClickHouse itself: replays are RuleReplays', activation is RuleSetActivation's.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { Injectable, Logger, NotFoundException } from '@nestjs/common';
import { describeRuleSet, ruleSetKey, type RuleSetKey } from '@tandem/analytics';
import {
  decideDictionary,
  DefinitionVersionNotFoundError,
  type FunnelDefinition,
} from '@tandem/domain';
import { v7 as uuidv7 } from 'uuid';
import type { ActivationPreconditions } from '../definitions/activate-funnel-definition.handler';
import { ActiveDefinition } from '../definitions/active-definition.service';
import type { RequestContext } from '../http/request-context';
import { KeptJobs } from './kept-jobs';
import { RuleReplays, type ReplayView } from './rule-replays.service';
import { RuleSetActivation, type RuleSetActivationOutcome } from './rule-set-activation.service';

export interface ApplyView extends RuleSetKey {
  readonly id: string;
  /** replaying → activating → done, or failed (with `error`) at either step. */
  readonly status: 'replaying' | 'activating' | 'done' | 'failed';
  /** The replay this apply waited for, with its progress; null when the set was built already. */
  readonly replay: ReplayView | null;
  /** What activation did, once it did. */
  readonly activation: RuleSetActivationOutcome | null;
  readonly startedAt: string;
  readonly finishedAt: string | null;
  readonly error: string | null;
}

interface Job {
  view: ApplyView;
  /** The replay being waited for: its progress is read live from RuleReplays. */
  replayId: string | null;
  /** Resolves once the job can be answered: replaying in the background, or ended. */
  readonly answerable: Promise<void>;
  /** The error of a job that failed before it could be answered, for the HTTP edge to map. */
  failure: { readonly cause: unknown } | null;
}

const keyOf = (key: RuleSetKey) => `${key.rulesVersion}/${key.definitionHash}`;

@Injectable()
export class RuleSetApplies {
  private readonly logger = new Logger('rule-set-applies');
  private readonly jobs = new KeptJobs<Job>();
  private readonly running = new Map<string, Job>();
  /**
   * Runs a job outside the request that started it: taken at construction, outside any
   * request. The job outlives that request's answer, and its activation must not append under
   * the request's Idempotency-Key reservation (an async-context fence), which the 202 completed:
   * the append was refused ("another attempt took the key over") and the apply failed.
   */
  private readonly detached = AsyncLocalStorage.snapshot();

  constructor(
    private readonly definitions: ActiveDefinition,
    private readonly replays: RuleReplays,
    private readonly activation: RuleSetActivation,
  ) {}

  /**
   * Starts applying `version`, or joins the apply of it already running. Answers once the
   * apply is done, or once it waits for a replay (status `replaying`: poll `get`). A failure
   * before that (unknown version, a precondition that does not hold, a replay owned by another
   * process, a set still not ready) is thrown, typed, for the HTTP edge.
   */
  async apply(
    version: number,
    context: RequestContext,
    preconditions: ActivationPreconditions = {},
  ): Promise<ApplyView> {
    const { versions, state } = await this.definitions.refresh();
    const published = versions.find((entry) => entry.version === version);
    if (!published) throw new DefinitionVersionNotFoundError(version);
    // The decider's refusal now, not after a replay of the whole log: what it would decide at
    // the end if nothing changes meanwhile (the events are dropped; the activation decides again).
    decideDictionary(
      { type: 'ActivateFunnelDefinition', data: { version, ...preconditions } },
      state,
    );
    const key = ruleSetKey(published.definition);
    const job =
      this.running.get(keyOf(key)) ?? this.begin(key, published.definition, context, preconditions);
    await job.answerable;
    if (job.failure !== null) throw job.failure.cause;
    return this.view(job);
  }

  get(id: string): ApplyView {
    const job = this.jobs.get(id);
    if (!job) throw new NotFoundException(`no apply ${id} in this process`);
    return this.view(job);
  }

  private begin(
    key: RuleSetKey,
    definition: FunnelDefinition,
    context: RequestContext,
    preconditions: ActivationPreconditions,
  ): Job {
    let answer = () => {};
    const job: Job = {
      view: {
        ...key,
        id: uuidv7(),
        status: 'replaying',
        replay: null,
        activation: null,
        startedAt: new Date().toISOString(),
        finishedAt: null,
        error: null,
      },
      replayId: null,
      answerable: new Promise<void>((resolve) => (answer = resolve)),
      failure: null,
    };
    this.jobs.remember(job.view.id, job);
    this.running.set(keyOf(key), job);
    void this.detached(() => this.run(job, definition, context, preconditions, answer)).finally(
      () => this.running.delete(keyOf(key)),
    );
    return job;
  }

  private async run(
    job: Job,
    definition: FunnelDefinition,
    context: RequestContext,
    preconditions: ActivationPreconditions,
    answer: () => void,
  ): Promise<void> {
    let answered = false;
    try {
      await this.untilReady(job, definition, () => {
        answered = true;
        answer();
      });
      job.view = { ...this.view(job), status: 'activating' };
      const activation = await this.activation.activate(definition.version, context, preconditions);
      job.view = {
        ...job.view,
        status: 'done',
        activation,
        finishedAt: new Date().toISOString(),
      };
      this.logger.log(`${describeRuleSet(job.view)} applied`);
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      if (!answered) job.failure = { cause: error };
      job.view = {
        ...this.view(job),
        status: 'failed',
        error: message,
        finishedAt: new Date().toISOString(),
      };
      // Its replay stopped by the shutdown: resumed when the apply is asked again.
      if (this.replays.stopped)
        this.logger.log(`apply of ${describeRuleSet(job.view)}: ${message}`);
      else this.logger.error(`apply of ${describeRuleSet(job.view)} failed: ${message}`);
    } finally {
      answer();
    }
  }

  /**
   * Replays the set unless it is ready, joining a replay already running (a what-if of the same
   * definition, or a `POST /ops/rules/replays`); returns once the set is ready and published.
   */
  private async untilReady(
    job: Job,
    definition: FunnelDefinition,
    replaying: () => void,
  ): Promise<void> {
    const key = ruleSetKey(definition);
    let replay = await this.replays.startOrJoin(definition, 'published');
    while (replay.status === 'running') {
      job.replayId = replay.id;
      replaying();
      const ended = await this.replays.settled(replay.id);
      job.view = { ...job.view, replay: ended };
      if (ended.status === 'failed') {
        throw new Error(
          `the replay of ${describeRuleSet(key)} failed: ${ended.error ?? 'no reason given'}`,
        );
      }
      // Ready now: this promotes a joined what-if's shadow set to published, and returns done.
      replay = await this.replays.startOrJoin(definition, 'published');
    }
    if (replay.status === 'failed') {
      throw new Error(
        `the replay of ${describeRuleSet(key)} failed: ${replay.error ?? 'no reason given'}`,
      );
    }
  }

  /** The job with its replay's current progress while it runs. */
  private view(job: Job): ApplyView {
    if (job.replayId === null || job.view.status !== 'replaying') return job.view;
    const replay = this.replays.find(job.replayId);
    return replay === null ? job.view : { ...job.view, replay };
  }
}
