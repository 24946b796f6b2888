/**
 * The reconciliation's event witness kept per snapshot of the per-lead funnel (migrations
 * 0032–0033), so that a check sums a few hundred kept rows and recomputes only the leads changed
 * since, instead of reading lead_event_summary FINAL and the set's lead_rule_facts FINAL for
 * every lead three times (~0.55 s of a ~0.7 s check at 10M events; docs/performance.md,
 * "Reconciliation from a kept event witness").
 *
 * Still an independent witness: a build is _lead-event-audit.sql's rows — what each lead's
 * events (lead_event_summary, lead_events) and the set's lead_rule_facts say — at the position
 * of one marked snapshot (lead-snapshots/, of which it reads only the id and the position, never
 * a row), written whole under a fresh build id: one row per lead, then those rows counted per
 * combination of columns, then one marker row naming the build. A check reads it through
 * _lead-event-audit-kept.sql, which takes the leads changed since the position out of the kept
 * rows and puts their rows back as they are now (changedSince: the leads are read just before
 * the check's statement and bound to both halves, as the views read their snapshot), so each
 * lead is counted once, and the lead audit cut at the check's {covered} is exact:
 *   - a lead changes only through an event (a summary row reaching past the position) or a
 *     rule row of the set computed past it: the log is append-only and projected in order (the
 *     log projection; snapshots, and so these builds, exist only where it writes), and the set
 *     is ready (no replay writing older rows for it);
 *   - a build killed before its marker leaves rows no reader names (dropped with the snapshot);
 *   - a build is keyed by the snapshot's random id: once the snapshot is dropped (superseded, or
 *     a rebuild truncating it) no check asks for it again, and its rows go too (dropOrphaned
 *     here, resetAnalytics for a rebuild).
 * It must never be read for a position past the one a check's per-lead audit is cut at, nor
 * built from anything the views compute.
 *
 * When: a snapshot once marked starts its build in the background (AnalyticsQueries), and so
 * does a check that finds the snapshot without one, answered from every lead as before.
 */
import type { ClickHouseClient } from '@clickhouse/client';
import {
  analyticsTables,
  LEAD_EVENTS_PROJECTION,
  RULE_FACTS_PROJECTION,
} from '../../clickhouse/analytics.database';
import { RULE_INPUT_TYPES } from '../../rules/rule-facts';
import type { RuleSet } from '../../rules/rule-sets';
import { snapshotKeyOf, type FunnelSnapshot } from '../lead-snapshots/lead-funnel-snapshots';
import { KeptBuilds, leadsChangedSince, newBuildId, type KeptBuildsOptions } from '../kept-copies';

export type LeadEventAuditsOptions = KeptBuildsOptions;

/** A complete build: what a check binds to read it (decimal strings). */
export interface KeptEventAudit {
  readonly snapshotId: string;
  readonly build: string;
  /** The position its rows are counted up to (the snapshot's). */
  readonly position: string;
}

/** What a check reads: the build to read, and whether the set's newest snapshot has one. */
export interface FoundEventAudit {
  readonly kept: KeptEventAudit | null;
  readonly newestBuilt: boolean;
}

/** The end of UInt64: the witness's rows over every event (no cut). */
export const EVERY_EVENT = '18446744073709551615';

/**
 * Most changed leads a check recomputes beside a build (bound as one array, like the views'
 * changed leads beside their snapshot); past it the check counts every lead, as with no build.
 * A new snapshot, and with it a new build, comes long before (refreshAfterChanged).
 */
export const MAX_AUDITED_LEADS = 25_000;

/** The columns a build keeps per lead, and counts its lead rows by. */
const AUDIT_COLUMNS = `facts, in_cohort, recorded_for_set, sales_sourced, captured, mql,
      handed_to_sales, accepted, rejected, sql, opportunity, won, lost`;

/**
 * The two statements that write a build's rows, whole as they run, from `rowsOfEveryLead`
 * (_lead-event-audit.sql over every lead): one row per lead, then those rows counted per
 * combination of columns. The snapshots' fingerprint digests them
 * (AnalyticsQueries.snapshotFingerprint), as it does the rollups' and the credits', so a deploy
 * that changes what a build keeps never reads a witness the old statements wrote.
 */
export function eventAuditRowsInserts(rowsOfEveryLead: string): readonly [string, string] {
  return [
    `
        INSERT INTO {db:Identifier}.{audits:Identifier}
        SELECT
            {snapshot_id:UInt64}, {build_id:UInt64}, 'lead', lead_id, ${AUDIT_COLUMNS},
            leads, won_revenue
        FROM (${rowsOfEveryLead})`,
    // Counted from the lead rows just written, so the counts are exactly theirs: a check takes
    // a changed lead's kept row out of the counts it is in.
    `
        INSERT INTO {db:Identifier}.{audits:Identifier}
        SELECT
            {snapshot_id:UInt64}, {build_id:UInt64}, 'group', '', ${AUDIT_COLUMNS},
            count(), sumMap(won_revenue)
        FROM {db:Identifier}.{audits:Identifier}
        WHERE snapshot_id = {snapshot_id:UInt64} AND build_id = {build_id:UInt64} AND kind = 'lead'
        GROUP BY ${AUDIT_COLUMNS}`,
  ];
}

export class LeadEventAudits extends KeptBuilds<[snapshot: FunnelSnapshot, rules: RuleSet]> {
  /**
   * `rowsOfEveryLead` is _lead-event-audit.sql with no lead cut and the leads past its position
   * in place (AnalyticsQueries composes it from the same files the checks read).
   */
  constructor(
    client: ClickHouseClient,
    private readonly rowsOfEveryLead: () => Promise<string>,
    options: LeadEventAuditsOptions = {},
  ) {
    super(client, options);
  }

  /**
   * The complete build of the snapshot, or null (count every lead): then starts writing one in
   * the background, and never waits for it.
   */
  async current(snapshot: FunnelSnapshot, rules: RuleSet): Promise<KeptEventAudit | null> {
    if (this.closed) return null;
    const build = await this.latest(snapshot, rules);
    if (build === null) this.buildInBackground(snapshot, rules);
    return build;
  }

  /**
   * The build a check of the set reads, in one query: of the marked builds under the set (as it
   * is now: its recorded_version) whose snapshot is still marked and whose position is at most
   * `atMost` and the rules checkpoint, the newest snapshot's, else the one with the latest
   * position (lowest build id among equals); and whether it is the newest snapshot's (if not,
   * `current` starts one). Only snapshots taken by code of `fingerprint` count
   * (LeadFunnelSnapshots.fingerprint).
   */
  async find(rules: RuleSet, atMost: string, fingerprint: string): Promise<FoundEventAudit> {
    const key = snapshotKeyOf(rules);
    const result = await this.reader.query({
      query: `
        SELECT
            toString(a.snapshot_id) AS snapshot_id,
            toString(a.build_id) AS build,
            toString(a.position) AS position,
            a.snapshot_id = (
                SELECT snapshot_id FROM {db:Identifier}.{snapshot_markers:Identifier}
                WHERE rules_version = {rules_version:UInt32}
                  AND definition_hash = {definition_hash:String}
                  AND recorded_version = {recorded_version:UInt32}
                  AND sla_ms = {sla_ms:UInt64}
                  AND fingerprint = {fingerprint:String}
                ORDER BY taken_at DESC, snapshot_id DESC
                LIMIT 1
            ) AS newest
        FROM {db:Identifier}.{markers:Identifier} AS a
        WHERE a.rules_version = {rules_version:UInt32}
          AND a.definition_hash = {definition_hash:String}
          AND a.recorded_version = {recorded_version:UInt32}
          AND a.snapshot_id IN (
              SELECT snapshot_id FROM {db:Identifier}.{snapshot_markers:Identifier}
              WHERE fingerprint = {fingerprint:String}
          )
          AND a.position <= {at_most:UInt64}
          AND a.position <= (
              SELECT if(
                  countIf(projection_name = {rules_projection:String}) > 0,
                  maxIf(position, projection_name = {rules_projection:String}),
                  maxIf(position, projection_name = {events_projection:String})
              )
              FROM {db:Identifier}.{checkpoint:Identifier}
          )
        ORDER BY newest DESC, a.position DESC, a.build_id
        LIMIT 1`,
      query_params: {
        db: this.database,
        markers: analyticsTables.leadEventAuditMarkers,
        snapshot_markers: analyticsTables.leadFunnelSnapshotMarkers,
        checkpoint: analyticsTables.projectionCheckpoint,
        rules_projection: RULE_FACTS_PROJECTION,
        events_projection: LEAD_EVENTS_PROJECTION,
        rules_version: String(key.rulesVersion),
        definition_hash: key.definitionHash,
        recorded_version: String(key.recordedVersion),
        sla_ms: String(key.slaMs),
        fingerprint,
        at_most: atMost,
      },
      format: 'JSONEachRow',
    });
    const [row] = await result.json<{
      snapshot_id: string;
      build: string;
      position: string;
      newest: boolean | number;
    }>();
    if (row === undefined) return { kept: null, newestBuilt: false };
    return {
      kept: { snapshotId: row.snapshot_id, build: row.build, position: row.position },
      newestBuilt: row.newest === true || row.newest === 1,
    };
  }

  /**
   * The leads a check of the set recomputes beside `kept`: those with an event (a summary row
   * reaching past the build's position: its merged row's last_position is the max of its rows')
   * or a lead_rule_facts row of the set computed past it; sorted, at most `limit`. Read from the
   * events' side only, never the funnel, its snapshot or lead_state, so the witness stays
   * independent of the views. Every other lead's events and rule row are what they were at the
   * position: the log is append-only, a lead's rows for an event carry at least its position,
   * and the set is ready (no replay writing older rows for it).
   */
  changedSince(kept: KeptEventAudit, rules: RuleSet, limit: number): Promise<string[]> {
    return leadsChangedSince(this.reader, {
      database: this.database,
      table: analyticsTables.leadEventSummary,
      position: kept.position,
      rulesVersion: rules.rulesVersion,
      definitionHash: rules.definitionHash,
      limit,
    });
  }

  /** The lowest marked build of the snapshot under the set (complete builds hold the same rows). */
  async latest(snapshot: FunnelSnapshot, rules: RuleSet): Promise<KeptEventAudit | null> {
    const result = await this.reader.query({
      query: `
        SELECT toString(build_id) AS build, toString(position) AS position
        FROM {db:Identifier}.{markers:Identifier}
        WHERE snapshot_id = {snapshot_id:UInt64}
          AND rules_version = {rules_version:UInt32}
          AND definition_hash = {definition_hash:String}
          AND recorded_version = {recorded_version:UInt32}
        ORDER BY build_id
        LIMIT 1`,
      query_params: {
        db: this.database,
        markers: analyticsTables.leadEventAuditMarkers,
        snapshot_id: snapshot.id,
        rules_version: String(rules.rulesVersion),
        definition_hash: rules.definitionHash,
        recorded_version: String(snapshotKeyOf(rules).recordedVersion),
      },
      format: 'JSONEachRow',
    });
    const [row] = await result.json<{ build: string; position: string }>();
    return row === undefined
      ? null
      : { snapshotId: snapshot.id, build: row.build, position: row.position };
  }

  protected nameOf(snapshot: FunnelSnapshot): string {
    return snapshot.id;
  }

  /** Lead rows, group rows, then marker, then the builds of dropped snapshots go. */
  protected async write(snapshot: FunnelSnapshot, rules: RuleSet): Promise<string | null> {
    const done = await this.latest(snapshot, rules);
    if (done !== null) return done.build;
    const params = {
      db: this.database,
      audits: analyticsTables.leadEventAudits,
      markers: analyticsTables.leadEventAuditMarkers,
      snapshot_id: snapshot.id,
      build_id: newBuildId(),
      rules_version: String(rules.rulesVersion),
      definition_hash: rules.definitionHash,
      recorded_version: String(rules.kind === 'published' ? rules.rulesVersion : 0),
      // Each lead's rows up to the snapshot's position: what is unchanged since is read as is.
      covered: snapshot.position,
      position: snapshot.position,
    };
    const [leadRows, groupRows] = eventAuditRowsInserts(await this.rowsOfEveryLead());
    await this.beforeStatement();
    await this.client.command({
      query: leadRows,
      query_params: { ...params, rule_input_types: RULE_INPUT_TYPES.join(',') },
    });
    await this.beforeStatement();
    await this.client.command({ query: groupRows, query_params: params });
    // The marker last, and only once every row is in: this is what makes the rows readable.
    this.throwIfCancelled();
    await this.client.command({
      query: `
        INSERT INTO {db:Identifier}.{markers:Identifier}
        SELECT
            {snapshot_id:UInt64}, {build_id:UInt64}, {rules_version:UInt32},
            {definition_hash:String}, {recorded_version:UInt32}, {position:UInt64},
            countIf(kind = 'lead'), now64(3, 'UTC')
        FROM {db:Identifier}.{audits:Identifier}
        WHERE snapshot_id = {snapshot_id:UInt64} AND build_id = {build_id:UInt64}`,
      query_params: params,
    });
    await this.dropOrphaned(
      {
        markers: analyticsTables.leadEventAuditMarkers,
        rows: analyticsTables.leadEventAudits,
      },
      snapshot.id,
    );
    return (await this.latest(snapshot, rules))?.build ?? null;
  }
}
