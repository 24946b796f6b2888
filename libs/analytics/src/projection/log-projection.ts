/**
 * The projection of the store's global log into ClickHouse (embedded mode), with two
 * checkpoints that are never ahead of what they cover:
 *   - events (LEAD_EVENTS_PROJECTION): lead_events, lead_state, planning facts, activations
 *     and rule-set registrations are written up to it;
 *   - rules (RULE_FACTS_PROJECTION): every lead with an event up to it has its rule-derived
 *     rows (lead_rule_facts) under every kept rule set.
 *
 * Why two: while the projector is behind the store's head (a first start over years of
 * history, a rebuild), it writes events in large batches and defers the rules, then classifies
 * every lead it touched once, over its whole history; classifying per batch would classify a
 * lead again in every batch its events fall in. At the head it does both for each batch, so a
 * live event is in every view, rules included, before its position counts as projected.
 *
 * Crash-exact by order: rows first, then rule-derived rows, then both checkpoints in one insert
 * (one part, atomic). A kill anywhere re-projects from the checkpoints, and every write here is
 * idempotent. It must never advance a checkpoint past a write that has not finished.
 */
import type { ClickHouseClient } from '@clickhouse/client';
import { analyticsDatabase, type AnalyticsDatabaseOptions } from '../clickhouse/analytics.database';
import type { AnyEnvelope } from './lead-event.row';
import { projectBatch, type ProjectionOutcome } from './lead-events.writer';
import {
  readProjectionCheckpoints,
  writeProjectionCheckpoints,
  type ProjectionCheckpoints,
} from './projection-checkpoints';
import { deadLettersOf, writeDeadLetters, type DeadLetter } from './projection-dead-letters';
import {
  computeRuleFactsBetween,
  readRuleInputsAndRegistry,
  RuleFactsCancelledError,
  writeRuleFacts,
} from '../rules/rule-facts';
import { StepCancelledError } from './step-outcome';
import { readRuleSets, type RuleSet } from '../rules/rule-sets';

const later = (a: string | null, b: string | null): string | null =>
  a === null ? b : b === null ? a : BigInt(a) >= BigInt(b) ? a : b;

export interface LogBatchOptions {
  /**
   * True when the batch reaches the store's head: the rules are brought up to date before the
   * checkpoints move. False while catching up: the rules wait until the head is reached.
   */
  readonly atHead: boolean;
  /**
   * Events of the batch the caller's decode step refused (not in `envelopes`): dead-lettered
   * with the ones this projection refuses, before the checkpoint passes them.
   */
  readonly refused?: readonly DeadLetter[];
}

export interface LogBatchOutcome extends ProjectionOutcome {
  /** Every event of the batch set aside (projection_dead_letters), with its reason. */
  readonly deadLettered: readonly DeadLetter[];
  /**
   * Where the batch's time went, in milliseconds, for a debug log: the events' rows (and dead
   * letters), the rule-derived rows (0 when deferred), the checkpoints. At the head a batch's
   * time is most of append → visible, and which of the three grows tells what to look at.
   */
  readonly phases: BatchPhases;
}

export interface BatchPhases {
  readonly eventsMs: number;
  readonly rulesMs: number;
  readonly checkpointMs: number;
}

const since = (start: number): number => performance.now() - start;

const highest = (letters: readonly DeadLetter[]): string | null =>
  letters.reduce<string | null>((top, { position }) => later(top, position), null);

export class LogProjection {
  private readonly database: string;
  private checkpoints: ProjectionCheckpoints = { events: null, rules: null };
  /** The rule sets as last read, and the registry's generation they were read at. */
  private registry: { readonly generation: string; readonly sets: readonly RuleSet[] } | null =
    null;

  constructor(
    private readonly client: ClickHouseClient,
    options: AnalyticsDatabaseOptions = {},
    private readonly onRulesProgress?: (done: number, total: number) => void,
  ) {
    this.database = analyticsDatabase(options);
  }

  /** Reads the checkpoints; returns where to resume reading the log (null: from the start). */
  async start(): Promise<string | null> {
    this.checkpoints = await readProjectionCheckpoints(this.client, { database: this.database });
    // A start reads the sets again: nothing kept across a retry, a rebuild or another schema.
    this.registry = null;
    return this.checkpoints.events;
  }

  /** Where the rules stand, as last recorded. */
  get position(): ProjectionCheckpoints {
    return this.checkpoints;
  }

  /** True while events are projected beyond the rules (a catch-up deferred them). */
  get rulesBehind(): boolean {
    return this.checkpoints.events !== this.checkpoints.rules;
  }

  /** Projects one batch of the log, read in global order after the events checkpoint. */
  async project(
    envelopes: readonly AnyEnvelope[],
    options: LogBatchOptions,
  ): Promise<LogBatchOutcome> {
    const started = performance.now();
    const outcome = await projectBatch(this.client, envelopes, {
      database: this.database,
      ruleFacts: 'deferred',
    });
    // Set aside before the checkpoint may pass them: a crash in between writes them again.
    const deadLettered = [...(options.refused ?? []), ...deadLettersOf(outcome.invalid, envelopes)];
    await writeDeadLetters(this.client, deadLettered, { database: this.database });
    const events = later(later(this.checkpoints.events, outcome.position), highest(deadLettered));
    const written = performance.now();
    if (!options.atHead) {
      await this.record({ events, rules: this.checkpoints.rules });
      const phases = { eventsMs: written - started, rulesMs: 0, checkpointMs: since(written) };
      return { ...outcome, deadLettered, phases };
    }
    const ruleFacts = await this.rulesUpTo(events, outcome.leadIds);
    const ruled = performance.now();
    await this.record({ events, rules: events });
    const phases = {
      eventsMs: written - started,
      rulesMs: ruled - written,
      checkpointMs: since(ruled),
    };
    return { ...outcome, ruleFacts, deadLettered, phases };
  }

  /**
   * Records that events up to `position` are projected without their rules, by a writer that
   * is not `project` (the set-based catch-up, BulkLogProjection). Call it only after every row
   * of those events is written; `deadLetters` are the ones among them it refused.
   */
  async advanceEvents(position: string, deadLetters: readonly DeadLetter[] = []): Promise<void> {
    await writeDeadLetters(this.client, deadLetters, { database: this.database });
    await this.record({
      events: later(this.checkpoints.events, position),
      rules: this.checkpoints.rules,
    });
  }

  /**
   * Brings the rules up to the events checkpoint (after a restart that found them behind).
   * `cancelled` is checked between chunks: when it says so, StepCancelledError is thrown and the
   * rules checkpoint stays where it was.
   */
  async catchUpRules(cancelled?: () => boolean): Promise<number> {
    const { events } = this.checkpoints;
    if (!this.rulesBehind || events === null) return 0;
    let written: number;
    try {
      written = await this.rulesUpTo(events, [], cancelled);
    } catch (error) {
      // As any step a stopping projector gives up: the caller ignores it.
      if (error instanceof RuleFactsCancelledError) throw new StepCancelledError(null);
      throw error;
    }
    await this.record({ events, rules: events });
    return written;
  }

  /**
   * Rule-derived rows for every lead with events in (rules checkpoint, upTo]. When the rules
   * were level with the events before this batch, those leads are the batch's own.
   */
  private async rulesUpTo(
    upTo: string | null,
    batchLeads: readonly string[],
    cancelled?: () => boolean,
  ): Promise<number> {
    if (upTo === null) return 0;
    // The registry is read after the rows are written: a replay registered before this read
    // gets its rows here, one registered after it covers these leads itself (ADR 0005).
    if (!this.rulesBehind) return this.batchRuleFacts(batchLeads);
    const sets = await readRuleSets(this.client, { database: this.database });
    return computeRuleFactsBetween(
      this.client,
      sets,
      { after: this.checkpoints.rules, upTo },
      {
        database: this.database,
        onProgress: this.onRulesProgress,
        ...(cancelled === undefined ? {} : { cancelled }),
      },
    );
  }

  /**
   * The batch's leads under every kept set, at the head: the registry's generation is read in
   * the statement that reads the leads' inputs, after their rows are written, and the sets are
   * read again only when it moved. So ADR 0005's "read after writing" holds with one statement
   * less per batch: an unchanged generation means no set was registered (nor changed) since the
   * sets in hand were read; a replay registered before this statement moved it, and its set is
   * read here and gets these leads' rows, one registered after it covers these leads itself.
   */
  private async batchRuleFacts(leads: readonly string[]): Promise<number> {
    if (leads.length === 0) return 0;
    const options = { database: this.database };
    const { inputs, registry } = await readRuleInputsAndRegistry(this.client, leads, options);
    if (this.registry === null || registry === '' || this.registry.generation !== registry) {
      // Read after the generation: sets newer than it are kept under it, and read once more
      // at the next batch (its generation differs), never older ones under a newer generation.
      this.registry = { generation: registry, sets: await readRuleSets(this.client, options) };
    }
    return (await writeRuleFacts(this.client, this.registry.sets, inputs, options)).rows;
  }

  /** Both checkpoints in one insert: one part, so they move together or not at all. */
  private async record(next: ProjectionCheckpoints): Promise<void> {
    await writeProjectionCheckpoints(this.client, next, { database: this.database });
    this.checkpoints = next;
  }
}
