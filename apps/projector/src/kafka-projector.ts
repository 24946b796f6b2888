/**
 * Server mode's projector: a Kafka consumer-group member that writes ClickHouse
 * in batches. Exactly-once numbers on at-least-once delivery: lead_events is
 * idempotent on event id, so a batch redelivered after a crash, a rebalance or a
 * retry collapses on read. Scale out by starting more members of the group.
 *
 * One loop reads the message stream (libs/messaging's fences: committed offsets, no
 * autocommit) and takes what has arrived, at most MAX_BATCH messages, as one batch per
 * partition. A batch is three steps with typed outcomes (StepOutcome): decode each message
 * (undecodable → dlq), write the valid ones (a ClickHouse failure → retry the same batch in
 * place with back-off; the stream stops fetching once its buffer is full, and heartbeats go on
 * on their own timer; the projection's contract refuses some → dlq), send the dead letters
 * to the DLQ topic (a broker failure → retry), and record them in projection_dead_letters (a
 * ClickHouse failure → retry). Only then is the offset committed. The dead-letter count /health
 * and /metrics report is that table's (read at start, after each batch that adds to it, and
 * again in the background every few seconds), so a restart, or another member, does not hide a
 * poison message from an operator, and a rebuild that empties the table (resetAnalytics) does
 * not leave the old count standing. /health reads it from memory, never from ClickHouse.
 *
 * After a rebalance the stream still delivers what it had buffered from partitions that moved
 * to another member: a batch of a partition this member no longer owns is dropped (the new
 * owner reads it from the committed offset), and a retry gives up when its partition goes.
 * Messages below an offset this member already settled (the stream rewinds kept partitions to
 * the committed offset after a rejoin) are skipped, so they are not dead-lettered twice.
 * Rule-derived rows only by the code the sets name (ADR 0005, "The Kafka-fed projector and the
 * facts version"): a batch is projected only while every kept rule set's facts_version is this
 * build's, checked before the batch is written and again after it, before the commit. A set of
 * another build (a deploy half done, in either order) makes the member wait at the batch,
 * uncommitted, reading the registry again with back-off; /health says `waiting` and names the
 * sets. Rows a batch wrote while a set changed hands under it are written again, by whichever
 * build's member projects the batch from the uncommitted offset, after the rows in question.
 * Every few seconds the member says in rule_facts_processes that it is alive and which code it
 * computes with: the API re-derives a set another build marked after the API's start once a
 * projector of its own build is alive and no process of that build is (ADR 0005).
 *
 * It must never commit an offset whose event is neither projected nor dead-lettered, nor one
 * whose rule-derived rows were computed for a set of another facts version.
 */
import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import type { ClickHouseClient } from '@clickhouse/client';
import { SpanKind } from '@opentelemetry/api';
import {
  beatRuleFactsProcess,
  deadLettersOf,
  describeRuleSet,
  factsOutdated,
  processBeatMs,
  projectBatch,
  readDeadLetters,
  readRuleSets,
  retry,
  retryOnFailure,
  ruleFactsVersion,
  StepCancelledError,
  untilSettled,
  writeDeadLetters,
  type DeadLetter,
  type ProjectionOutcome,
  type RetryLoopOptions,
  type RuleSet,
  type StepOutcome,
} from '@tandem/analytics';
import {
  eventHeaders,
  readEventHeaders,
  streamReader,
  type TandemEnvelope,
} from '@tandem/contracts';
import {
  consumeTopics,
  groupLag,
  headerRecord,
  ownsPartition,
  type KafkaAdmin,
  type KafkaConsumer,
  type KafkaMessageStream,
  type KafkaProducer,
  type PartitionLag,
} from '@tandem/messaging';
import { carriesTrace, endWithError, startSpanFrom } from '@tandem/observability';
import type { Message } from '@platformatic/kafka';
import type { Logger } from 'pino';
import { classifyMessage } from './message-outcome';

export type { PartitionLag } from '@tandem/messaging';

export interface KafkaProjectorOptions {
  readonly topic: string;
  readonly dlqTopic: string;
  readonly groupId: string;
  readonly database: string;
  /**
   * How often projection_dead_letters is counted again in the background (default 5 s), so
   * that what another process did to it (a rebuild emptying it, another member adding to it)
   * shows without a dead letter of this member's or a restart.
   */
  readonly deadLetterRecountMs?: number;
  /**
   * TANDEM_REPLAY_LEASE_SECONDS: this member says it is alive every fifth of it
   * (rule_facts_processes), and counts as gone once its last look is older.
   */
  readonly processLeaseSeconds?: number;
}

/** The default of KafkaProjectorOptions.deadLetterRecountMs. */
export const DEAD_LETTER_RECOUNT_MS = 5_000;
/** The default of KafkaProjectorOptions.processLeaseSeconds (TANDEM_REPLAY_LEASE_SECONDS's). */
export const PROCESS_LEASE_SECONDS = 30;

type KafkaMessage = Message<string, Buffer, string, Buffer>;

/** What /health says in place of an error's words (the log has them). */
export const FAILURE_NOTE = 'a batch is being retried; the projector log has the reason';
export const CRASHED_NOTE = 'the message stream failed; the projector log has the reason';

/** A kept rule set whose rows another build computed: this member waits until it is its own. */
export interface SetOfOtherCode {
  readonly rulesVersion: number;
  readonly definitionHash: string;
  /** The facts version the set names ('' when unrecorded: before migration 0039). */
  readonly computedBy: string;
}

export interface ProjectorHealth {
  readonly status: 'ok' | 'degraded' | 'waiting' | 'crashed';
  readonly projected: number;
  /** Messages set aside for good: projection_dead_letters, over restarts and members. */
  readonly deadLettered: number;
  readonly staleSkipped: number;
  readonly crashed: string | null;
  readonly failure: string | null;
  /** Messages not yet committed, over every partition (a decimal string). */
  readonly lag: string;
  readonly partitions: readonly PartitionLag[];
  /**
   * This build's facts version, and the kept sets another build computed, which this member
   * waits for (empty while it projects).
   */
  readonly ruleFacts: { readonly version: string; readonly otherCode: readonly SetOfOtherCode[] };
}

/** What the write step found: the batch written, or sets of other code to wait for. */
type WriteStep =
  | { readonly kind: 'written'; readonly outcome: ProjectionOutcome }
  | { readonly kind: 'other_code'; readonly sets: readonly SetOfOtherCode[] };

/** At most this many messages per batch (a fetch of small events is often more). */
const MAX_BATCH = 1_000;

export class KafkaProjector {
  private projected = 0;
  /**
   * projection_dead_letters' count as last read (at start, after a batch that added to it, and
   * by the background recount).
   */
  private deadLettered = 0;
  /** Bumped by each batch that sets `deadLettered`: a recount begun before it is not applied. */
  private deadLetteredBy = 0;
  /** The background looks (dead letters counted again, this member's beat), until stop(). */
  private looks: readonly Repeating[] = [];
  /** How this member names itself in rule_facts_processes. */
  private readonly processName = `projector:${hostname()}:${process.pid}:${randomUUID()}`;
  private stale = 0;
  private crashed: string | null = null;
  /** The reason the current batch is being retried; null once a batch goes through. */
  private failure: string | null = null;
  /** Kept sets another build computed, found by the batch in hand; empty once one goes through. */
  private otherCode: readonly SetOfOtherCode[] = [];
  private stream: KafkaMessageStream | null = null;
  private stopping = false;
  private loop: Promise<void> = Promise.resolve();
  /** Per partition: the next offset this member has not settled yet. */
  private readonly settled = new Map<number, bigint>();

  constructor(
    private readonly consumer: KafkaConsumer,
    private readonly dlqProducer: KafkaProducer,
    private readonly admin: KafkaAdmin,
    private readonly analytics: ClickHouseClient,
    private readonly options: KafkaProjectorOptions,
    private readonly logger?: Logger,
  ) {}

  /** Joins the group; batches are projected in the background until stop(). */
  async start(): Promise<void> {
    this.deadLettered = await this.countDeadLetters();
    const stream = await consumeTopics(this.consumer, [this.options.topic]);
    this.stream = stream;
    // What kafkajs called a crash: the stream gave up (a fetch error it cannot recover from).
    stream.on('error', (error) => {
      this.crashed = error.message;
      this.logger?.error({ err: error }, 'message stream failed');
    });
    this.loop = this.run(stream);
    await this.beat();
    this.looks = [
      new Repeating(this.options.deadLetterRecountMs ?? DEAD_LETTER_RECOUNT_MS, () =>
        this.recountDeadLetters(),
      ),
      new Repeating(processBeatMs(this.options.processLeaseSeconds ?? PROCESS_LEASE_SECONDS), () =>
        this.beat(),
      ),
    ];
  }

  /** Resolves when the loop ended after stop(); rejects with the reason it ended before. */
  get done(): Promise<void> {
    return this.loop;
  }

  /** Finishes (or abandons, uncommitted) the batch in hand and closes the stream. */
  async stop(): Promise<void> {
    this.stopping = true;
    const looks = this.looks.map((look) => look.stop());
    await this.stream?.close();
    await Promise.all([this.loop.catch(() => undefined), ...looks]);
  }

  status() {
    return {
      projected: this.projected,
      deadLettered: this.deadLettered,
      staleSkipped: this.stale,
      crashed: this.crashed,
      failure: this.failure,
      otherCode: this.otherCode,
    };
  }

  /**
   * What `GET /health` answers. That route is open to whoever reaches the port (the worker has
   * no identity provider, and TANDEM_METRICS_TOKEN guards /metrics only), so it names the state
   * and never an error's words: ClickHouse's and the broker's messages carry host names, table
   * names and fragments of the rows they refused. The reason is in the log, as the API's public
   * readiness does it (docs/observability.md).
   */
  async health(): Promise<ProjectorHealth> {
    const partitions = await this.lag();
    const state = this.status();
    return {
      // degraded: a batch is being retried (ClickHouse or the DLQ topic failing); waiting: a
      // kept rule set was computed by another build (a deploy half done).
      status:
        state.crashed !== null
          ? 'crashed'
          : state.failure !== null
            ? 'degraded'
            : state.otherCode.length > 0
              ? 'waiting'
              : 'ok',
      projected: state.projected,
      deadLettered: state.deadLettered,
      staleSkipped: state.staleSkipped,
      crashed: state.crashed === null ? null : CRASHED_NOTE,
      failure: state.failure === null ? null : FAILURE_NOTE,
      lag: partitions.reduce((sum, p) => sum + BigInt(p.lag), 0n).toString(),
      partitions,
      ruleFacts: { version: ruleFactsVersion(), otherCode: state.otherCode },
    };
  }

  /** Per partition: committed offset of the group, high watermark, and the difference. */
  lag(): Promise<PartitionLag[]> {
    return groupLag(this.admin, this.options.groupId, this.options.topic);
  }

  private async run(stream: KafkaMessageStream): Promise<void> {
    // One reader for the stream's life: it keeps the stream paused across rebalances.
    const nextMessages = streamReader<KafkaMessage>(stream, MAX_BATCH);
    for (;;) {
      const messages = await nextMessages();
      if (messages === null || this.stopping) break;
      for (const [partition, batch] of byPartition(messages)) {
        if (this.stopping) break;
        await this.handleBatch(partition, batch);
      }
    }
    if (!this.stopping) {
      throw new Error(`message stream ended: ${this.crashed ?? 'closed by the client'}`);
    }
  }

  private owns(partition: number): boolean {
    return !this.stopping && ownsPartition(this.consumer, this.options.topic, partition);
  }

  private async handleBatch(partition: number, messages: readonly KafkaMessage[]): Promise<void> {
    // Buffered before a rebalance moved the partition: the new owner reads it from the commit.
    if (!this.owns(partition)) {
      this.stale += messages.length;
      this.settled.delete(partition);
      return;
    }
    // Rewound to the committed offset after a rejoin: what this member settled already is done.
    const from = this.settled.get(partition) ?? -1n;
    const batch = messages.filter((message) => message.offset >= from);
    if (batch.length === 0) return;

    // A CONSUMER span per traced message (none when tracing is off), child of the relay's
    // publish span: the command's trace ends here, when its event is projected.
    const spans = batch.map((message) => {
      const headers = headerRecord(message.headers);
      return carriesTrace(headers)
        ? startSpanFrom(headers, `process ${this.options.topic}`, SpanKind.CONSUMER, {
            'messaging.system': 'kafka',
            'messaging.destination.name': this.options.topic,
            'messaging.kafka.offset': message.offset.toString(),
          })
        : null;
    });
    try {
      await this.projectAndCommit(partition, batch);
    } catch (error) {
      for (const span of spans) if (span) endWithError(span, error);
      // A rebalance or shutdown took the partition while the batch was retrying: nothing is
      // committed, and whoever gets the partition reads the batch again.
      if (error instanceof StepCancelledError) return;
      throw error;
    }
    for (const span of spans) span?.end();
  }

  private async projectAndCommit(partition: number, batch: readonly KafkaMessage[]): Promise<void> {
    const last = batch.at(-1);
    if (!last) return;
    const envelopes: TandemEnvelope[] = [];
    const dead: { index: number; reason: string }[] = [];
    const letters: DeadLetter[] = [];
    // By the decoded value's id, not a header: older messages may carry no id header at all.
    const indexOf = new Map<string, number>();
    batch.forEach((message, index) => {
      const outcome = classifyMessage({
        value: message.value ?? null,
        headers: headerRecord(message.headers),
      });
      if (outcome.kind === 'ok') {
        envelopes.push(outcome.value);
        indexOf.set(outcome.value.eventId, index);
      } else if (outcome.kind === 'dlq') {
        dead.push({ index, reason: outcome.reason });
        letters.push(this.undecodableLetter(partition, message, outcome.reason));
      }
    });

    const retrying = this.retryLoop(partition);
    const written = await untilSettled((attempt) => this.writeStep(envelopes, attempt), retrying);
    // A write's outcome is ok or retry; retries are settled above.
    if (written.kind !== 'ok') throw new Error(`batch not written: ${written.reason}`);
    // Valid JSON envelopes can still break the projection's contract (e.g. a lead
    // event without a lead id): those are dead letters too.
    for (const invalid of written.value.invalid) {
      dead.push({ index: indexOf.get(invalid.eventId) ?? -1, reason: invalid.reason });
    }
    letters.push(...deadLettersOf(written.value.invalid, envelopes));
    let deadLettered = 0;
    if (dead.length > 0) {
      await untilSettled(
        (attempt) => retryOnFailure(attempt, () => this.sendToDlq(partition, batch, dead)),
        retrying,
      );
      // Kept where a restart finds them; idempotent, so a batch read again counts once.
      const counted = await untilSettled(
        (attempt) =>
          retryOnFailure(attempt, async () => {
            await writeDeadLetters(this.analytics, letters, { database: this.options.database });
            return this.countDeadLetters();
          }),
        retrying,
      );
      if (counted.kind !== 'ok') throw new Error(`dead letters not recorded: ${counted.reason}`);
      deadLettered = counted.value;
    }
    this.failure = null;
    this.otherCode = [];
    // Counted before the commit: whoever sees the offset committed sees the counts too.
    this.projected += written.value.projected;
    if (dead.length > 0) {
      this.deadLettered = deadLettered;
      this.deadLetteredBy += 1;
    }
    this.settled.set(partition, last.offset + 1n);
    await this.commit(partition, last);
    for (const { index, reason } of dead) {
      const message = batch[index];
      this.logger?.warn(
        {
          offset: message?.offset.toString(),
          partition,
          correlationId: readEventHeaders(message && headerRecord(message.headers)).correlationId,
          reason,
        },
        'message dead-lettered',
      );
    }
    this.logger?.info(
      { partition, offset: last.offset.toString(), projected: written.value.projected },
      'batch projected and committed',
    );
  }

  /**
   * Writes the batch when every kept rule set is this build's, and says whether they still all
   * are once it is written. Before: a member of another build than a set's would compute that
   * set's rows with other code, into a set nobody re-derives (the API re-derives sets of other
   * builds at its start only, and marks them its own). After: a replay by another build may
   * have taken a set over while the batch computed its rows; they may have landed after the
   * replay's for the same leads, so the batch is not committed and is projected again, by a
   * member of the set's build, after them. Either way the outcome is a retry that waits.
   */
  private async writeStep(
    envelopes: readonly TandemEnvelope[],
    attempt: number,
  ): Promise<StepOutcome<ProjectionOutcome>> {
    const database = { database: this.options.database };
    const step = await retryOnFailure(attempt, async (): Promise<WriteStep> => {
      const before = await setsOfOtherCode(this.analytics, database);
      if (before.length > 0) return { kind: 'other_code', sets: before };
      const outcome = await projectBatch(this.analytics, envelopes, database);
      const after = await setsOfOtherCode(this.analytics, database);
      return after.length > 0 ? { kind: 'other_code', sets: after } : { kind: 'written', outcome };
    });
    if (step.kind !== 'ok') {
      this.otherCode = [];
      return step;
    }
    if (step.value.kind === 'written') return { kind: 'ok', value: step.value.outcome };
    this.otherCode = step.value.sets;
    this.failure = null;
    return retry(
      `rule sets computed by another build than this (facts version ${ruleFactsVersion()}): ` +
        step.value.sets
          .map((set) => `${describeRuleSet(set)} by ${set.computedBy || 'unrecorded code'}`)
          .join(', '),
      attempt,
    );
  }

  /**
   * Commits the offset after `last`, only for a partition this member still owns: a partition
   * that moved during the batch is read again by its new owner from the previous commit. A
   * failed commit is not retried: the next batch's commit covers it, and a lost partition is
   * read again from the offset before it (a duplicate, which the projection absorbs).
   */
  private async commit(partition: number, last: KafkaMessage): Promise<void> {
    if (!this.owns(partition)) return;
    await this.consumer
      .commit({
        offsets: [
          {
            topic: this.options.topic,
            partition,
            offset: last.offset + 1n,
            leaderEpoch: last.leaderEpoch,
          },
        ],
      })
      .catch((error: unknown) => {
        this.logger?.warn(
          { partition, offset: last.offset.toString(), err: error },
          'offset not committed; a later commit or the next owner covers it',
        );
      });
  }

  private async sendToDlq(
    partition: number,
    batch: readonly KafkaMessage[],
    dead: readonly { index: number; reason: string }[],
  ): Promise<void> {
    await this.dlqProducer.send({
      messages: dead.map(({ index, reason }) => {
        const message = batch[index];
        return {
          topic: this.options.dlqTopic,
          ...(message?.key ? { key: message.key } : {}),
          ...(message?.value ? { value: message.value } : {}),
          headers: {
            ...(message ? headerRecord(message.headers) : {}),
            [eventHeaders.dlqReason]: reason,
            'tandem-source': `${this.options.topic}/${partition}/${message?.offset.toString() ?? '?'}`,
          },
        };
      }),
    });
  }

  /** Events held in projection_dead_letters, by every member and every run before this one. */
  private async countDeadLetters(): Promise<number> {
    const { count } = await readDeadLetters(this.analytics, {
      database: this.options.database,
      latest: 1,
    });
    return count;
  }

  /**
   * Counts projection_dead_letters again, in the background. The count this member keeps
   * otherwise moves only when it dead-letters a message itself: a rebuild (resetAnalytics
   * empties the table, and the embedded projection sets the same events aside again) left
   * /health and the metric at the old figure until the next dead letter or restart. A count
   * that fails keeps the last figure (the log says why); one begun before a batch set the
   * figure is dropped, as older than it.
   */
  private async recountDeadLetters(): Promise<void> {
    const by = this.deadLetteredBy;
    try {
      const count = await this.countDeadLetters();
      if (this.deadLetteredBy === by) this.deadLettered = count;
    } catch (error) {
      this.logger?.warn({ err: error }, 'dead letters not counted again; keeping the last count');
    }
  }

  /**
   * Says in rule_facts_processes that this member is alive and computes with this build's
   * code: the API re-derives a set another build computed after its start only while a
   * projector of its build is alive and no process of the set's build is (ADR 0005).
   */
  private async beat(): Promise<void> {
    try {
      await beatRuleFactsProcess(this.analytics, this.processName, 'projector', {
        database: this.options.database,
      });
    } catch (error) {
      this.logger?.warn(
        { err: error },
        'could not say this member is alive (rule_facts_processes)',
      );
    }
  }

  /**
   * The row of a message that is not a Tandem event: no position to place it (0, as the
   * embedded projection's broken positions), named by its event id header when it has one,
   * else by where it sits on the topic, so a redelivery writes the same row.
   */
  private undecodableLetter(partition: number, message: KafkaMessage, reason: string): DeadLetter {
    const headers = readEventHeaders(headerRecord(message.headers));
    return {
      eventId:
        headers.eventId ?? `kafka:${this.options.topic}/${partition}/${message.offset.toString()}`,
      position: '0',
      type: headers.type ?? 'unknown',
      reason,
    };
  }

  /**
   * Retries of a batch stay in the loop, so the partition waits at it (the stream's buffer
   * fills and fetching stops); the member stays in the group, since heartbeats run on their own
   * timer. A retry gives up when the partition is taken away or the projector stops.
   */
  private retryLoop(partition: number): RetryLoopOptions {
    const cancelled = () => !this.owns(partition);
    return {
      cancelled,
      onRetry: ({ reason, attempt, delayMs }) => {
        if (this.otherCode.length > 0) {
          // Not a failure: the deploy of the other process ends it (first time a warning).
          if (attempt === 1) this.logger?.warn({ partition, reason }, 'batch waits');
          return;
        }
        this.failure = reason;
        this.logger?.error({ partition, attempt, delayMs, reason }, 'batch failed, retrying');
      },
      sleep: async (ms) => {
        const until = Date.now() + ms;
        while (!cancelled() && Date.now() < until) {
          await new Promise((resolve) => setTimeout(resolve, Math.min(500, until - Date.now())));
        }
      },
    };
  }
}

/** The kept rule sets whose rows another build computed (rule_sets.facts_version). */
async function setsOfOtherCode(
  client: ClickHouseClient,
  options: { readonly database: string },
): Promise<SetOfOtherCode[]> {
  return (await readRuleSets(client, options))
    .filter(factsOutdated)
    .map((set: RuleSet): SetOfOtherCode => ({
      rulesVersion: set.rulesVersion,
      definitionHash: set.definitionHash,
      computedBy: set.factsVersion,
    }));
}

/**
 * Runs `look` every `everyMs`, one at a time (the next is timed from the end of the last), until
 * stop(), which waits for the one in flight: none outlives the ClickHouse client. `look` never
 * rejects (it logs its own failures). The timer does not keep the process up.
 */
class Repeating {
  private timer: NodeJS.Timeout | null = null;
  private inFlight: Promise<void> = Promise.resolve();
  private stopped = false;

  constructor(
    private readonly everyMs: number,
    private readonly look: () => Promise<void>,
  ) {
    this.schedule();
  }

  private schedule(): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.inFlight = this.look().finally(() => this.schedule());
    }, this.everyMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
    await this.inFlight;
  }
}

/** Messages grouped per partition, each group in offset order (the order they arrived in). */
function byPartition(messages: readonly KafkaMessage[]): Map<number, KafkaMessage[]> {
  const groups = new Map<number, KafkaMessage[]>();
  for (const message of messages) {
    const group = groups.get(message.partition);
    if (group) group.push(message);
    else groups.set(message.partition, [message]);
  }
  return groups;
}
