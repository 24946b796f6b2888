/**
 * Snapshots of the per-lead funnel of one rule set (migrations 0019–0020), so that a view asked
 * about "now" costs reading one row per lead instead of merging lead_state FINAL and joining the
 * set's lead_rule_facts on every request (docs/performance.md, views at 10M events).
 *
 * A snapshot is written whole, then its marker: the rows of _lead-funnel.sql over the kept
 * state (the funnel every view reads) under the set, in a partition of their own, copied one
 * range of lead ids per statement (chDB runs one parameterized statement at a time, so a view
 * waits for one range, not the whole copy), and after the last of them one marker row naming
 * the snapshot and the position it covers — the rules checkpoint, read before any row — once
 * what must exist with it is built (`beforeMarked`: the attribution credits). Each lead is
 * copied once, as the state gave it at some moment after that read. A view reads the latest
 * marked snapshot through _lead-funnel-snapshot.sql without the leads changed since that
 * position, and those from the state as before (_lead-funnel-changed.sql), so the answer is the
 * one the state gives, at every moment:
 *   - a write killed before its marker leaves rows nothing reads (dropped later, below);
 *   - a lead changes only through a lead_state row or a lead_rule_facts row of the set whose
 *     last_position is past the position: a lead's rows for an event carry at least the event's
 *     position, the log projection writes rule rows after their events and its checkpoint after
 *     both (log-projection.ts), and a set is snapshotted only once it is 'ready' (no replay
 *     still writing older rows for it) and its rows are this code's (no re-derivation of rows
 *     other code computed still to come: rule-facts-version.ts);
 *   - a rebuild empties the snapshots with the tables they were taken from (resetAnalytics),
 *     with no snapshot being written meanwhile (suspend cancels the one in flight before its
 *     next range or its marker, and starts none until released), and a snapshot ahead of the
 *     rules checkpoint is never read.
 * Only the log projection keeps those checkpoints: an API fed by the Kafka projector must not
 * enable snapshots (AnalyticsQueriesOptions.snapshots).
 *
 * Nor does any event mark a change of the code that computes a snapshot: a deploy whose funnel
 * SQL differs, or a migration that rewrites the state a snapshot copied. So each marker records
 * the fingerprint of what it was computed by (`fingerprint`: AnalyticsQueries digests the
 * statements that write the snapshot and the copies kept with it, and the migrations), and a
 * snapshot of another fingerprint is never read: views read the state and the next snapshot is
 * started, as after a start with none.
 *
 * When: a request that finds no snapshot for its set starts one in the background and is
 * answered from the state; a request that finds more than `refreshAfterChanged` leads changed
 * since the latest starts the next (at most one per `minIntervalMs` per set, one at a time per
 * process), and past `maxChanged` it reads the state alone until that one is marked. None is
 * started in the background while the state holds fewer than `minLeads` leads: reading all of
 * them costs a view no more than reading that many changed leads beside a snapshot, and a
 * snapshot would bring its writes and what is kept per snapshot (day rollups, attribution
 * credits: fixed costs of their own) into chDB's one statement at a time for nothing
 * (docs/performance.md, live append → visible).
 * A superseded snapshot is dropped a grace period after its successor, so a request that read
 * the older marker still finds its rows. It must never be read "as of" (asOf keeps the fold
 * of the raw events) and never be written without its rows complete before its marker.
 */
import { createHash, randomBytes } from 'node:crypto';
import type { ClickHouseClient } from '@clickhouse/client';
import {
  analyticsDatabase,
  analyticsTables,
  LEAD_EVENTS_PROJECTION,
  RULE_FACTS_PROJECTION,
  type AnalyticsDatabaseOptions,
} from '../../clickhouse/analytics.database';
import { readProjectionCheckpoints } from '../../projection/projection-checkpoints';
import { factsOutdated } from '../../rules/rule-facts-version';
import type { RuleSet } from '../../rules/rule-sets';
import { BackgroundBuild, dropKeptCopies, leadsChangedSince } from '../kept-copies';

/** What a snapshot is of: the rule set and the values _lead-funnel.sql takes from it. */
export interface FunnelSnapshotKey {
  readonly rulesVersion: number;
  readonly definitionHash: string;
  /** The set's version while it is published, 0 for a shadow (_lead-funnel.sql). */
  readonly recordedVersion: number;
  readonly slaMs: number;
}

/** A complete snapshot: its id and the rules checkpoint it covers (decimal strings). */
export interface FunnelSnapshot {
  readonly id: string;
  readonly position: string;
  readonly leads: number;
  /** When its marker was written (ms since epoch). */
  readonly takenAtMs: number;
}

/**
 * A snapshot whose rows are all written and whose marker is not yet: what is built before the
 * marker (LeadFunnelSnapshotsOptions.beforeMarked) reads its rows by its id.
 */
export type SnapshotInWriting = Pick<FunnelSnapshot, 'id' | 'position'>;

/** What a view reads: a snapshot, and the leads changed since it (read from the state). */
export interface SnapshotRead {
  readonly snapshot: FunnelSnapshot;
  /** Sorted lead ids. */
  readonly changed: readonly string[];
}

export interface LeadFunnelSnapshotsOptions extends AnalyticsDatabaseOptions {
  /** Leads changed since the latest snapshot above which a request starts the next one. */
  readonly refreshAfterChanged?: number;
  /**
   * Most changed leads a view reads beside a snapshot; past it the view reads the state alone
   * (as without snapshots) until the next snapshot is marked.
   */
  readonly maxChanged?: number;
  /**
   * Fewest leads the state must hold before a snapshot is started in the background (default
   * `maxChanged`: a view already reads up to that many leads from the state). `take` is not
   * bound by it.
   */
  readonly minLeads?: number;
  /** A new snapshot of a set is started at most once per this long (after the first). */
  readonly minIntervalMs?: number;
  /** A superseded snapshot is dropped this long after its successor was marked. */
  readonly graceMs?: number;
  /** Seen failures are retried after this long. */
  readonly retryAfterMs?: number;
  /**
   * About how many lead_state rows one statement of a snapshot copies. chDB runs parameterized
   * statements one at a time per process, so every view waits for the statement in flight: a
   * snapshot is written in ranges of lead ids of about this many rows, and a request waits for
   * one range at most, not for the whole snapshot.
   */
  readonly chunkRows?: number;
  /**
   * Longest a snapshot's next range waits for view reads in flight (`reading`) to finish, so
   * that reads go first without a steady stream of them stalling the snapshot for good.
   */
  readonly yieldMs?: number;
  /**
   * Awaited after a snapshot's rows and before its marker: what is kept per snapshot that a view
   * must find whenever it finds the marker (the attribution credits: without them the first
   * attribution request after a new snapshot read the snapshot's slow path; docs/performance.md,
   * "Attribution with its credits before the snapshot's marker"). It must not throw for a
   * failure of its own (the snapshot is marked anyway, and views fall back as before); a
   * cancelled write stops right after it, before the marker.
   */
  readonly beforeMarked?: (snapshot: SnapshotInWriting, rules: RuleSet) => Promise<void>;
  /**
   * What the snapshot is computed by, as the running code has it (a digest); a marker records
   * it, and a marker of another fingerprint is never read. Computed once per instance. By
   * default a digest of `funnelSql`; AnalyticsQueries adds what is kept per snapshot and the
   * migrations.
   */
  readonly fingerprint?: () => Promise<string>;
  /** Called (not awaited) once a snapshot is marked: what is kept per snapshot can start. */
  readonly onMarked?: (snapshot: FunnelSnapshot, rules: RuleSet) => void;
  /**
   * Where the views' lookups run (`latest`, `changedSince`): the views' read connection, beside
   * the snapshots' writes; the client by default. A snapshot's rows are all in (their
   * statements have returned) before its marker is written, so a lookup on either connection
   * that finds a marker finds every row it names.
   */
  readonly reader?: ClickHouseClient;
}

/** The parameters _lead-funnel.sql binds for a set, as they are keyed here. */
export function snapshotKeyOf(rules: RuleSet): FunnelSnapshotKey {
  return {
    rulesVersion: rules.rulesVersion,
    definitionHash: rules.definitionHash,
    recordedVersion: rules.kind === 'published' ? rules.rulesVersion : 0,
    slaMs: rules.slaMs,
  };
}

const keyParams = (key: FunnelSnapshotKey) => ({
  rules_version: String(key.rulesVersion),
  definition_hash: key.definitionHash,
  recorded_version: String(key.recordedVersion),
  sla_ms: String(key.slaMs),
});

/** Whether two keys name the same snapshots (the same set, as _lead-funnel.sql reads it). */
export function sameSnapshotKey(a: FunnelSnapshotKey, b: FunnelSnapshotKey): boolean {
  return (
    a.rulesVersion === b.rulesVersion &&
    a.definitionHash === b.definitionHash &&
    a.recordedVersion === b.recordedVersion &&
    a.slaMs === b.slaMs
  );
}

const keyText = (key: FunnelSnapshotKey) =>
  `${key.rulesVersion}/${key.definitionHash}/${key.recordedVersion}/${key.slaMs}`;

/** The end of DateTime64(3): a snapshot is of "now", every event included. */
const END_OF_TIME = '2299-12-31 23:59:59.999';

/** A fingerprint of what computes a snapshot: a digest of those texts (16 hex). */
export function digestOf(texts: readonly string[]): string {
  return createHash('sha256').update(JSON.stringify(texts)).digest('hex').slice(0, 16);
}

/**
 * Whether a set's rows may be snapshotted and a snapshot of them read: only a ready set whose
 * rows this code computed. A set whose rows other code computed is re-derived at start
 * (RuleReplays) with no event past any snapshot's position: a snapshot of its old rows taken
 * meanwhile, under this code's fingerprint, would be read after as current.
 */
const snapshotted = (rules: RuleSet): boolean => rules.status === 'ready' && !factsOutdated(rules);

/** A random snapshot id (63 bits, so it prints the same as UInt64 and as a JS string). */
function newSnapshotId(): string {
  return (randomBytes(8).readBigUInt64BE() >> 1n).toString();
}

export class LeadFunnelSnapshots {
  private readonly database: string;
  private readonly refreshAfterChanged: number;
  private readonly maxChanged: number;
  private readonly minLeads: number;
  private readonly minIntervalMs: number;
  private readonly graceMs: number;
  private readonly retryAfterMs: number;
  private readonly chunkRows: number;
  private readonly yieldMs: number;
  private readonly beforeMarked: (snapshot: SnapshotInWriting, rules: RuleSet) => Promise<void>;
  private readonly onMarked: (snapshot: FunnelSnapshot, rules: RuleSet) => void;
  private readonly reader: ClickHouseClient;
  private readonly computeFingerprint: () => Promise<string>;
  private fingerprinted: Promise<string> | null = null;
  /** View reads in flight (`reading`), and the background statements waiting for them to end. */
  private readers = 0;
  private readonly waitingForReaders = new Set<() => void>();
  /** The one snapshot being written in this process, if any. */
  private readonly taking = new BackgroundBuild<FunnelSnapshot>();
  /** The background refresh in flight (the state's size, then its snapshot), if any. */
  private refreshing: Promise<unknown> | null = null;
  private readonly startedAt = new Map<string, number>();
  private readonly failedAt = new Map<string, number>();
  /** The last background failure, for whoever looks (a failure only costs speed). */
  lastFailure: unknown = null;

  /**
   * `funnelSql` is the funnel every view reads for "now": _lead-funnel.sql with _lead-state.sql
   * in place (AnalyticsQueries composes it, from the same files as the views).
   */
  constructor(
    private readonly client: ClickHouseClient,
    private readonly funnelSql: () => Promise<string>,
    options: LeadFunnelSnapshotsOptions = {},
  ) {
    this.database = analyticsDatabase(options);
    this.refreshAfterChanged = options.refreshAfterChanged ?? 5_000;
    this.maxChanged = options.maxChanged ?? 25_000;
    this.minLeads = options.minLeads ?? this.maxChanged;
    this.minIntervalMs = options.minIntervalMs ?? 60_000;
    this.graceMs = options.graceMs ?? 5 * 60_000;
    this.retryAfterMs = options.retryAfterMs ?? 60_000;
    this.chunkRows = options.chunkRows ?? 50_000;
    this.yieldMs = options.yieldMs ?? 1_000;
    this.beforeMarked = options.beforeMarked ?? (() => Promise.resolve());
    this.onMarked = options.onMarked ?? (() => undefined);
    this.reader = options.reader ?? client;
    this.computeFingerprint =
      options.fingerprint ?? (async () => digestOf([await this.funnelSql()]));
  }

  /**
   * The fingerprint of the running code's snapshots (LeadFunnelSnapshotsOptions.fingerprint):
   * what a marker must record to be read.
   */
  fingerprint(): Promise<string> {
    if (this.fingerprinted === null) {
      const computing = this.computeFingerprint();
      // A failure (a file not readable) is not kept: the next call computes it again.
      computing.catch(() => {
        if (this.fingerprinted === computing) this.fingerprinted = null;
      });
      this.fingerprinted = computing;
    }
    return this.fingerprinted;
  }

  /**
   * Runs a view's read (its statements one after the other) ahead of the snapshot being
   * written: the snapshot's next range waits until no read is in flight (at most `yieldMs`),
   * so a read waits for one range at most, once, instead of once per statement.
   */
  async reading<T>(work: () => Promise<T>): Promise<T> {
    this.readers += 1;
    try {
      return await work();
    } finally {
      this.readers -= 1;
      if (this.readers === 0) for (const resume of this.waitingForReaders) resume();
    }
  }

  /**
   * Resolves once no view read is in flight, after `yieldMs`, or once `cancelled` aborts: what
   * a background statement over the views' tables awaits before it starts (this snapshot's
   * ranges, and what is kept per snapshot: day rollups, attribution credits), so that reads go
   * first.
   */
  async readersQuiet(cancelled?: AbortSignal): Promise<void> {
    if (this.readers === 0 || cancelled?.aborted === true) return;
    let resume = () => {};
    const ended = new Promise<void>((resolve) => (resume = resolve));
    this.waitingForReaders.add(resume);
    const timer = setTimeout(resume, this.yieldMs);
    cancelled?.addEventListener('abort', resume, { once: true });
    await ended;
    clearTimeout(timer);
    cancelled?.removeEventListener('abort', resume);
    this.waitingForReaders.delete(resume);
  }

  /**
   * What a view of `rules` reads now: the latest snapshot and the leads changed since, or null
   * (read the state). Starts writing a snapshot in the background when there is none or too
   * many leads changed since the latest; never waits for it. `dueNow`: whatever the interval
   * since the last one started or looked at the state (the projector at the head after a start,
   * a rebuild or a catch-up, during which a view's request may have looked at a partial state).
   */
  async current(rules: RuleSet, options: { dueNow?: boolean } = {}): Promise<SnapshotRead | null> {
    if (!snapshotted(rules) || this.taking.closed) return null;
    const key = snapshotKeyOf(rules);
    const dueNow = options.dueNow ?? false;
    const snapshot = await this.latest(key);
    if (snapshot === null) {
      this.refreshInBackground(rules, key, dueNow);
      return null;
    }
    const changed = await this.changedSince(key, snapshot, this.maxChanged + 1);
    if (changed.length > this.refreshAfterChanged) this.refreshInBackground(rules, key, dueNow);
    return changed.length > this.maxChanged ? null : { snapshot, changed };
  }

  /**
   * Whether a view of `rules` asked now reads a snapshot (as `current` finds it, starting the
   * next one in the background when `current` would), or needs none: the state holds fewer
   * leads than a view reads from it beside a snapshot (`maxChanged`), or than a snapshot is
   * taken for (`minLeads`). False from the end of a first projection or a rebuild until the
   * set's first snapshot is marked, when every view folds the whole state (seconds at 10M
   * events): for readiness (docs/performance.md, "The views' first snapshot before readiness").
   */
  async serves(rules: RuleSet): Promise<boolean> {
    if ((await this.current(rules)) !== null) return true;
    // On the views' connection: the snapshot being written holds the other one.
    return !(await this.stateHolds(Math.max(this.maxChanged, this.minLeads), this.reader));
  }

  /**
   * Writes a snapshot of `rules` now (or waits for the one being written) and returns the
   * latest usable one. Null when the set is not ready, nothing is projected with its rules, or
   * snapshots are suspended or closed (also midway: then no marker names what was written).
   */
  take(rules: RuleSet): Promise<FunnelSnapshot | null> {
    return this.taking.run((cancelled) => this.write(rules, cancelled));
  }

  /**
   * Cancels the snapshot being written (before its next range or its marker), waits for the
   * statement in flight, and starts none until the returned release is called. For emptying
   * the tables a snapshot copies (a rebuild, from its reset until the projection is at the head
   * again): a write that spanned the reset would mark rows copied from the old state, or from
   * none, as covering a position the rebuilt state reaches again later, and views would read
   * them as the truth; one during the catch-up would copy a state about to change entirely.
   */
  suspend(why: string): Promise<() => void> {
    return this.taking.suspend(why, () => {
      // The snapshots went with the tables: the next one is due at once, whenever the last
      // started or failed.
      this.startedAt.clear();
      this.failedAt.clear();
    });
  }

  /** Resolves once no snapshot is being looked into or written in the background. */
  async settled(): Promise<void> {
    while (this.refreshing !== null || this.taking.busy) {
      await this.refreshing?.catch(() => undefined);
      await this.taking.idle();
    }
  }

  /** Stops starting background work, cancels the snapshot being written and waits for it. */
  async close(): Promise<void> {
    await this.taking.close();
    await this.settled();
  }

  /**
   * The latest marked snapshot of the key taken by code of this fingerprint, if the rules
   * checkpoint has not fallen below it.
   */
  async latest(key: FunnelSnapshotKey): Promise<FunnelSnapshot | null> {
    const fingerprint = await this.fingerprint();
    const result = await this.reader.query({
      query: `
        SELECT
            toString(m.snapshot_id) AS id,
            toString(m.position) AS position,
            m.leads AS leads,
            toUnixTimestamp64Milli(m.taken_at) AS taken_at_ms,
            (
                SELECT if(
                    countIf(projection_name = {rules_projection:String}) > 0,
                    maxIf(position, projection_name = {rules_projection:String}),
                    maxIf(position, projection_name = {events_projection:String})
                )
                FROM {db:Identifier}.{checkpoint:Identifier}
            ) AS rules_checkpoint,
            m.position <= rules_checkpoint AS usable
        FROM {db:Identifier}.{markers:Identifier} AS m
        WHERE m.rules_version = {rules_version:UInt32}
          AND m.definition_hash = {definition_hash:String}
          AND m.recorded_version = {recorded_version:UInt32}
          AND m.sla_ms = {sla_ms:UInt64}
          AND m.fingerprint = {fingerprint:String}
        ORDER BY m.taken_at DESC, m.snapshot_id DESC
        LIMIT 1`,
      query_params: {
        db: this.database,
        checkpoint: analyticsTables.projectionCheckpoint,
        markers: analyticsTables.leadFunnelSnapshotMarkers,
        rules_projection: RULE_FACTS_PROJECTION,
        events_projection: LEAD_EVENTS_PROJECTION,
        fingerprint,
        ...keyParams(key),
      },
      format: 'JSONEachRow',
    });
    const [row] = await result.json<{
      id: string;
      position: string;
      leads: string | number;
      taken_at_ms: string | number;
      usable: boolean | number;
    }>();
    if (row === undefined || !row.usable) return null;
    return {
      id: row.id,
      position: row.position,
      leads: Number(row.leads),
      takenAtMs: Number(row.taken_at_ms),
    };
  }

  /**
   * The leads a view reads from the state instead of `snapshot` (changed since it), sorted, at
   * most `limit` of them.
   */
  changedSince(key: FunnelSnapshotKey, snapshot: FunnelSnapshot, limit: number): Promise<string[]> {
    return leadsChangedSince(this.reader, {
      database: this.database,
      table: analyticsTables.leadState,
      position: snapshot.position,
      rulesVersion: key.rulesVersion,
      definitionHash: key.definitionHash,
      limit,
    });
  }

  /**
   * Starts a snapshot of the set unless one is being written or looked into, one started or
   * failed lately (unless `dueNow`), or the state is too small to be worth one (`minLeads`:
   * looked at again `minIntervalMs` later).
   */
  private refreshInBackground(rules: RuleSet, key: FunnelSnapshotKey, dueNow: boolean): void {
    if (this.taking.busy || this.refreshing !== null || !this.taking.open) return;
    const now = Date.now();
    const name = keyText(key);
    if (now - (this.failedAt.get(name) ?? -Infinity) < this.retryAfterMs) return;
    if (!dueNow && now - (this.startedAt.get(name) ?? -Infinity) < this.minIntervalMs) return;
    this.startedAt.set(name, now);
    const refreshing = (async () => {
      if (!(await this.stateHolds(this.minLeads))) return null;
      return this.take(rules);
    })();
    this.refreshing = refreshing;
    refreshing
      .catch((error: unknown) => {
        this.failedAt.set(name, Date.now());
        this.lastFailure = error;
      })
      .finally(() => {
        if (this.refreshing === refreshing) this.refreshing = null;
      });
  }

  /**
   * Whether lead_state holds at least `leads` leads: distinct ids read until that many are
   * found, so a large state costs no more than a small one.
   */
  private async stateHolds(leads: number, on = this.client): Promise<boolean> {
    if (leads <= 0) return true;
    const result = await on.query({
      query: `
        SELECT count() AS leads
        FROM (SELECT DISTINCT lead_id FROM {db:Identifier}.{state:Identifier} LIMIT {leads:UInt64})`,
      query_params: {
        db: this.database,
        state: analyticsTables.leadState,
        leads: String(leads),
      },
      format: 'JSONEachRow',
    });
    const [row] = await result.json<{ leads: string | number }>();
    return Number(row?.leads ?? 0) >= leads;
  }

  /** Rows, then marker, then the superseded snapshots go; stops where `signal` is checked. */
  private async write(rules: RuleSet, signal: AbortSignal): Promise<FunnelSnapshot | null> {
    if (!snapshotted(rules)) return null;
    const key = snapshotKeyOf(rules);
    // Read before the rows: every lead with an event up to it is in lead_state and has its
    // rule rows, so the rows below cover it (and maybe more, which only costs a recompute).
    const { rules: position } = await readProjectionCheckpoints(this.client, {
      database: this.database,
    });
    if (position === null) return null;
    const id = newSnapshotId();
    const params = {
      db: this.database,
      snapshots: analyticsTables.leadFunnelSnapshots,
      markers: analyticsTables.leadFunnelSnapshotMarkers,
      snapshot_id: id,
      position,
      fingerprint: await this.fingerprint(),
      as_of: END_OF_TIME,
      ...keyParams(key),
    };
    const funnel = await this.funnelSql();
    // One range of lead ids per statement, each read through the state's and the rule rows'
    // primary keys (both end in lead_id): the ranges partition the ids, so together they copy
    // every lead once, each as the state gives it when its range is copied.
    for (const [from, to] of await this.leadRanges()) {
      signal.throwIfAborted();
      await this.readersQuiet(signal);
      signal.throwIfAborted();
      const bounds = [
        from === null ? [] : ['funnel.lead_id >= {from_lead:String}'],
        to === null ? [] : ['funnel.lead_id < {to_lead:String}'],
      ].flat();
      await this.client.command({
        query: `
          INSERT INTO {db:Identifier}.{snapshots:Identifier}
          SELECT {snapshot_id:UInt64} AS snapshot_id, funnel.*
          FROM (${funnel}) AS funnel
          ${bounds.length === 0 ? '' : `WHERE ${bounds.join(' AND ')}`}`,
        query_params: {
          ...params,
          ...(from === null ? {} : { from_lead: from }),
          ...(to === null ? {} : { to_lead: to }),
        },
      });
    }
    // What a view must find with the marker, built from the rows just written: a kill from
    // here to the marker leaves it beside rows no marker names, dropped with them later.
    signal.throwIfAborted();
    await this.beforeMarked({ id, position }, rules);
    // The marker last, and only once every row is in: this is what makes the rows readable.
    signal.throwIfAborted();
    await this.client.command({
      query: `
        INSERT INTO {db:Identifier}.{markers:Identifier}
            (rules_version, definition_hash, recorded_version, sla_ms, snapshot_id, position,
             leads, taken_at, fingerprint)
        SELECT
            {rules_version:UInt32}, {definition_hash:String}, {recorded_version:UInt32},
            {sla_ms:UInt64}, {snapshot_id:UInt64}, {position:UInt64}, count(), now64(3, 'UTC'),
            {fingerprint:String}
        FROM {db:Identifier}.{snapshots:Identifier}
        WHERE snapshot_id = {snapshot_id:UInt64}`,
      query_params: params,
    });
    await this.dropSuperseded();
    const marked = await this.latest(key);
    if (marked !== null) this.onMarked(marked, rules);
    return marked;
  }

  /**
   * Ranges of lead ids, [from, to) with null for no bound, of about `chunkRows` lead_state rows
   * each, from the table's primary index (one key per granule of every part: no row is read).
   * One unbounded range when the state is small.
   */
  private async leadRanges(): Promise<[string | null, string | null][]> {
    const result = await this.client.query({
      query: `
        SELECT lead_id, rows_in_granule
        FROM mergeTreeIndex({db:String}, {state:String})
        ORDER BY lead_id`,
      query_params: { db: this.database, state: analyticsTables.leadState },
      format: 'JSONCompactEachRow',
    });
    const starts: string[] = [];
    let rows = 0;
    for (const [lead, granule] of await result.json<[string, string | number]>()) {
      if (rows >= this.chunkRows && lead !== starts.at(-1)) {
        starts.push(lead);
        rows = 0;
      }
      rows += Number(granule);
    }
    const bounds = [null, ...starts, null];
    return bounds.slice(0, -1).map((from, index) => [from, bounds[index + 1] ?? null]);
  }

  /**
   * Drops snapshots no request can still be reading: superseded for longer than the grace
   * period, or never marked (a killed write) and older than it. Marker first, rows after, so a
   * kill in between leaves rows without a marker, which the next pass drops.
   */
  private async dropSuperseded(): Promise<void> {
    const result = await this.client.query({
      query: `
        SELECT toString(p.snapshot_id) AS id
        FROM
        (
            SELECT toUInt64(partition) AS snapshot_id, max(modification_time) AS modified
            FROM system.parts
            WHERE database = {db:String} AND table = {snapshots:String} AND active
            GROUP BY partition
        ) AS p
        LEFT JOIN
        (
            SELECT
                snapshot_id,
                1 AS marked,
                -- when the next snapshot of the same key was marked (NULL: it is the latest)
                leadInFrame(toNullable(taken_at)) OVER (
                    PARTITION BY rules_version, definition_hash, recorded_version, sla_ms
                    ORDER BY taken_at, snapshot_id
                    ROWS BETWEEN CURRENT ROW AND 1 FOLLOWING
                ) AS superseded_at
            FROM {db:Identifier}.{markers:Identifier}
        ) AS m ON m.snapshot_id = p.snapshot_id
        WHERE if(
            m.marked = 1,
            m.superseded_at IS NOT NULL
                AND m.superseded_at < now64(3, 'UTC') - toIntervalMillisecond({grace_ms:UInt64}),
            p.modified < now() - toIntervalSecond(intDiv({grace_ms:UInt64}, 1000))
        )`,
      query_params: {
        db: this.database,
        snapshots: analyticsTables.leadFunnelSnapshots,
        markers: analyticsTables.leadFunnelSnapshotMarkers,
        grace_ms: String(this.graceMs),
      },
      format: 'JSONEachRow',
    });
    const superseded = await result.json<{ id: string }>();
    await dropKeptCopies(
      this.client,
      this.database,
      {
        markers: analyticsTables.leadFunnelSnapshotMarkers,
        rows: analyticsTables.leadFunnelSnapshots,
      },
      superseded.map(({ id }) => id),
    );
  }
}
