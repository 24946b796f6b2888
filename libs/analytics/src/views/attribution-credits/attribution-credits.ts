/**
 * Marketing attribution's per-lead rows kept per snapshot of the per-lead funnel (migrations
 * 0030–0031), so that a request over "now" sums kept rows instead of splitting every lead's
 * amount over its path and walking every lead's touch pairs (~1 CPU-s per model at 10M events;
 * docs/performance.md, "Attribution from kept credits").
 *
 * A build is of one marked snapshot (lead-snapshots/, which this module only reads) under the
 * snapshot's rule set: marketing-attribution.rows.sql over the snapshot's rows, summed per lead,
 * once for the touched pairs and once for every attribution model at once (its credit rows
 * rewritten by attributionRowsOfEveryModel), plus the visitors each capture names; written whole
 * under a fresh build id, then one marker row naming the build. A view
 * reads it through marketing-attribution.kept.sql with the leads changed since the snapshot
 * taken out and computed as the view always does (changedLeads below), so the answer is the
 * view's at every moment:
 *   - a lead's rows change only through its own events (the snapshot's changed leads: its
 *     funnel row, its touch pairs) or through a touch of a visitor its capture names (kept here
 *     as 'visitor' rows, and found by the touch's position past the snapshot's);
 *   - a build killed before its marker leaves rows no reader names (dropped with the snapshot);
 *   - a build is keyed by the snapshot's random id: once the snapshot is dropped (superseded, or
 *     a rebuild truncating it) no view asks for it again, and its rows go too (dropSuperseded
 *     here, resetAnalytics for a rebuild).
 * It must never be read for a view "as of" a time, or for a snapshot a view is not reading.
 *
 * When: before the snapshot's marker (LeadFunnelSnapshotsOptions.beforeMarked, wired by
 * AnalyticsQueries), so that a view finds the credits of every snapshot it finds marked and never
 * answers from the snapshot's slow path after a start, a refresh or a rebuild (docs/performance.md,
 * "Attribution with its credits before the snapshot's marker"); a kill between the credits'
 * marker and the snapshot's leaves credits of a snapshot nothing reads, dropped with its rows.
 * Should that build fail, be cancelled or be skipped (it failed lately), the snapshot is marked
 * all the same, and a view of a snapshot with no build starts one in the background and is
 * answered from the snapshot as before; one build at a time per process.
 */
import type { ClickHouseClient } from '@clickhouse/client';
import {
  attributionModels,
  resolveAttributionWeights,
  type AttributionModel,
} from '@tandem/domain';
import { analyticsTables } from '../../clickhouse/analytics.database';
import {
  attributionRowsHalf,
  attributionRowsOfEveryModel,
  type EveryModelParams,
} from '../../clickhouse/view-sql';
import type { RuleSet } from '../../rules/rule-sets';
import type { SnapshotInWriting } from '../lead-snapshots/lead-funnel-snapshots';
import { KeptBuilds, newBuildId, type KeptBuildsOptions } from '../kept-copies';

export type AttributionCreditsOptions = KeptBuildsOptions;

/**
 * The three statements that write a build's rows, whole as they run, from `rows`
 * (marketing-attribution.rows.sql over a snapshot's rows): the touched pairs, every model's
 * credits, and the visitors each capture names. The snapshots' fingerprint digests them
 * (AnalyticsQueries.snapshotFingerprint), so a deploy that changes what a build keeps never
 * reads credits the old statements wrote.
 */
export function creditRowsInserts(rows: string): readonly [string, string, string] {
  return [
    `
        INSERT INTO {db:Identifier}.{credits:Identifier}
        SELECT
            {snapshot_id:UInt64}, {build_id:UInt64}, 'touched', '', lead_id,
            assumeNotNull(captured_at), channel, campaign, sum(leads), NULL, NULL, 0, 0, ''
        FROM (${attributionRowsHalf(rows, 'touched_rows')})
        GROUP BY lead_id, captured_at, channel, campaign`,
    `
        INSERT INTO {db:Identifier}.{credits:Identifier}
        SELECT
            {snapshot_id:UInt64}, {build_id:UInt64}, 'credit', attribution_model, lead_id,
            assumeNotNull(captured_at), channel, campaign, 0, won_code, pipeline_code,
            sum(won_credit), sum(pipeline_credit), ''
        FROM (${attributionRowsOfEveryModel(rows)})
        GROUP BY attribution_model, lead_id, captured_at, channel, campaign, won_code, pipeline_code`,
    `
        INSERT INTO {db:Identifier}.{credits:Identifier}
        SELECT DISTINCT
            {snapshot_id:UInt64}, {build_id:UInt64}, 'visitor', '', lead_id,
            toDateTime64(0, 3, 'UTC'), '', '', 0, NULL, NULL, 0, 0, visitor_id
        FROM
        (
            SELECT lead_id, arrayJoin(JSONExtract(data, 'visitorIds', 'Array(String)')) AS visitor_id
            FROM {db:Identifier}.{events:Identifier}
            WHERE type = 'LeadCaptured' AND position(data, '"visitorIds"') > 0
        )`,
  ];
}

/** The capture window the kept rows cover: the whole range of DateTime64(3). */
const UNBOUNDED_CAPTURE = {
  captured_from: '1900-01-01 00:00:00.000',
  captured_to: '2299-12-31 23:59:59.999',
} as const;
const END_OF_TIME = UNBOUNDED_CAPTURE.captured_to;

/** The rule set's parameters of one model (its dictionary's attribution section). */
export function attributionParams(rules: RuleSet, model: AttributionModel) {
  const weights = resolveAttributionWeights(rules.definition.attribution, model);
  return {
    model,
    weight_first: String(weights.firstTouch),
    weight_lead_creation: String(weights.leadCreation),
    weight_opportunity_creation: String(weights.opportunityCreation),
    weight_closed_won: String(weights.closedWon),
    weight_others: String(weights.others),
    half_life_ms: String(weights.halfLifeMs),
  };
}

/** attributionParams of every model, as the arrays attributionRowsOfEveryModel binds. */
export function everyModelParams(rules: RuleSet): EveryModelParams {
  const each = attributionModels.map((model) => attributionParams(rules, model));
  const numbers = (name: Exclude<keyof ReturnType<typeof attributionParams>, 'model'>) =>
    each.map((params) => Number(params[name]));
  return {
    models: each.map((params) => params.model),
    weights_first: numbers('weight_first'),
    weights_lead_creation: numbers('weight_lead_creation'),
    weights_opportunity_creation: numbers('weight_opportunity_creation'),
    weights_closed_won: numbers('weight_closed_won'),
    weights_others: numbers('weight_others'),
    half_lives_ms: numbers('half_life_ms'),
  };
}

export class AttributionCredits extends KeptBuilds<[snapshot: SnapshotInWriting, rules: RuleSet]> {
  /**
   * `rowsOfSnapshot` is marketing-attribution.rows.sql over every row of a snapshot (bound as
   * snapshot_id), no lead cut (AnalyticsQueries composes it from the files the view reads).
   */
  constructor(
    client: ClickHouseClient,
    private readonly rowsOfSnapshot: () => Promise<string>,
    options: AttributionCreditsOptions = {},
  ) {
    super(client, options);
  }

  /**
   * The build id of the complete credits of the snapshot, or null (read the snapshot): then
   * starts writing them in the background, and never waits for it.
   */
  async current(snapshot: SnapshotInWriting, rules: RuleSet): Promise<string | null> {
    if (this.closed) return null;
    const build = await this.latest(snapshot.id);
    if (build === null) this.buildInBackground(snapshot, rules);
    return build;
  }

  /** The lowest marked build of the snapshot. */
  async latest(snapshotId: string): Promise<string | null> {
    const result = await this.reader.query({
      query: `
        SELECT toString(build_id) AS build
        FROM {db:Identifier}.{markers:Identifier}
        WHERE snapshot_id = {snapshot_id:UInt64}
        ORDER BY build_id
        LIMIT 1`,
      query_params: {
        db: this.database,
        markers: analyticsTables.leadAttributionCreditMarkers,
        snapshot_id: snapshotId,
      },
      format: 'JSONEachRow',
    });
    const [row] = await result.json<{ build: string }>();
    return row?.build ?? null;
  }

  /**
   * The leads whose kept rows the view recomputes, sorted: the snapshot's changed leads, and
   * the leads whose capture names a visitor with a touch past the snapshot's position.
   */
  async changedLeads(
    snapshot: SnapshotInWriting,
    build: string,
    changed: readonly string[],
  ): Promise<string[]> {
    const result = await this.reader.query({
      query: `
        SELECT DISTINCT lead_id
        FROM {db:Identifier}.{credits:Identifier}
        WHERE snapshot_id = {snapshot_id:UInt64}
          AND build_id = {build:UInt64}
          AND kind = 'visitor'
          AND visitor_id IN (
              SELECT visitor_id FROM {db:Identifier}.{touches:Identifier}
              WHERE global_position > {position:UInt64}
          )`,
      query_params: {
        db: this.database,
        credits: analyticsTables.leadAttributionCredits,
        touches: analyticsTables.visitorTouches,
        snapshot_id: snapshot.id,
        build,
        position: snapshot.position,
      },
      format: 'JSONCompactEachRow',
    });
    const touched = (await result.json<[string]>()).map(([lead]) => lead);
    if (touched.length === 0) return [...changed];
    return [...new Set([...changed, ...touched])].sort();
  }

  protected nameOf(snapshot: SnapshotInWriting): string {
    return snapshot.id;
  }

  /** Rows (touched pairs, each model's credits, visitors), then marker, then dropped builds go. */
  protected async write(snapshot: SnapshotInWriting, rules: RuleSet): Promise<string | null> {
    const done = await this.latest(snapshot.id);
    if (done !== null) return done;
    const params = {
      db: this.database,
      credits: analyticsTables.leadAttributionCredits,
      markers: analyticsTables.leadAttributionCreditMarkers,
      events: analyticsTables.leadEvents,
      snapshot_id: snapshot.id,
      build_id: newBuildId(),
      rules_version: String(rules.rulesVersion),
      definition_hash: rules.definitionHash,
      sla_ms: String(rules.slaMs),
      recorded_version: String(rules.kind === 'published' ? rules.rulesVersion : 0),
      as_of: END_OF_TIME,
      // Every row of the snapshot (_lead-funnel-snapshot.sql with no lead left out).
      changed_leads: [],
      ...UNBOUNDED_CAPTURE,
    };
    const [touched, credits, visitors] = creditRowsInserts(await this.rowsOfSnapshot());
    // Two statements, not one per model: each computes the cohort, the stitched touches and
    // the paths once (docs/performance.md, "Attribution in the window after a start or a
    // rebuild"); the sooner they are in, the sooner views leave the snapshot's slow path.
    // The touched pairs do not depend on the model: written once (bound to any model).
    await this.beforeStatement();
    await this.client.command({
      query: touched,
      query_params: { ...params, ...attributionParams(rules, 'linear') },
    });
    // Every model's credits at once (each row names its model: attribution_model).
    await this.beforeStatement();
    await this.client.command({
      query: credits,
      query_params: { ...params, ...everyModelParams(rules) },
    });
    // The visitors each capture names (as the view's stitched touches read them), after the
    // rows: a touch of theirs past the snapshot's position makes the lead one to recompute.
    await this.beforeStatement();
    await this.client.command({
      query: visitors,
      query_params: params,
    });
    // The marker last, and only once every row is in: this is what makes the rows readable.
    this.throwIfCancelled();
    await this.client.command({
      query: `
        INSERT INTO {db:Identifier}.{markers:Identifier}
        SELECT {snapshot_id:UInt64}, {build_id:UInt64}, count(), now64(3, 'UTC')
        FROM {db:Identifier}.{credits:Identifier}
        WHERE snapshot_id = {snapshot_id:UInt64} AND build_id = {build_id:UInt64}`,
      query_params: params,
    });
    await this.dropOrphaned(
      {
        markers: analyticsTables.leadAttributionCreditMarkers,
        rows: analyticsTables.leadAttributionCredits,
      },
      snapshot.id,
    );
    return this.latest(snapshot.id);
  }
}
