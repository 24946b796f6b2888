/**
 * Day rollups of a snapshot of the per-lead funnel (migrations 0028–0029), so that the trend and
 * the targets views group a few tens of thousands of rows per request instead of every lead's
 * stage moments (~2M at 10M events; docs/performance.md, "Day rollups of the funnel snapshot").
 *
 * A rollup is of one marked snapshot (lead-snapshots/, which this module only reads) in one
 * reporting time zone: _funnel-rollup-moments.sql over the snapshot's rows, written whole under
 * a fresh build id, then one marker row naming the build. A snapshot never changes once marked,
 * so neither does its rollup: a view reads it through _funnel-rollup.sql with the leads changed
 * since the snapshot taken out and put back from the state — the same leads, read the same way,
 * as the snapshot read of every other view (AnalyticsQueries) — so the answer is the one the
 * funnel gives at every moment:
 *   - a build killed before its marker leaves rows no reader names (dropped with the snapshot);
 *   - a rollup is keyed by the snapshot's random id: once the snapshot is dropped (superseded,
 *     or a rebuild truncating it) no view asks for its rollup again, and its rows go too
 *     (dropSuperseded here, resetAnalytics for a rebuild).
 * It must never be read for a view "as of" a time, over a bounded capture window (the trend
 * keeps the unbounded window's moments only) or for a snapshot a view is not reading.
 *
 * When: a view of a snapshot and zone with no rollup starts one in the background and is
 * answered from the snapshot as before; one build at a time per process.
 */
import type { ClickHouseClient } from '@clickhouse/client';
import { analyticsTables } from '../../clickhouse/analytics.database';
import { KeptBuilds, newBuildId, type KeptBuildsOptions } from '../kept-copies';

export type FunnelRollupsOptions = KeptBuildsOptions;

/** The capture window the trend's kept moments cover: the whole range of DateTime64(3). */
export const UNBOUNDED_CAPTURE = {
  captured_from: '1900-01-01 00:00:00.000',
  captured_to: '2299-12-31 23:59:59.999',
} as const;

/**
 * The statement that writes a rollup's rows: `moments` (_funnel-rollup-moments.sql over a
 * snapshot's rows) into lead_funnel_rollups. Whole, as it runs: the snapshots' fingerprint
 * digests it (AnalyticsQueries.snapshotFingerprint), so a deploy that changes what a rollup
 * keeps of the moments never reads a rollup the old statement wrote.
 */
export function rollupRowsInsert(moments: string): string {
  return `
        INSERT INTO {db:Identifier}.{rollups:Identifier}
        SELECT
            {snapshot_id:UInt64}, {time_zone:String}, {build_id:UInt64},
            view, stage, day, moment, channel, campaign, owner, currency, moments, amount
        FROM (${moments})`;
}

export class FunnelRollups extends KeptBuilds<[snapshotId: string, timeZone: string]> {
  /**
   * `momentsOfSnapshot` is _funnel-rollup-moments.sql over a snapshot's rows
   * (AnalyticsQueries composes it from the same files the views read).
   */
  constructor(
    client: ClickHouseClient,
    private readonly momentsOfSnapshot: () => Promise<string>,
    options: FunnelRollupsOptions = {},
  ) {
    super(client, options);
  }

  /**
   * The build id of the complete rollup of the snapshot in the zone, or null (read the
   * snapshot): then starts writing one in the background, and never waits for it.
   */
  async current(snapshotId: string, timeZone: string): Promise<string | null> {
    if (this.closed) return null;
    const build = await this.latest(snapshotId, timeZone);
    if (build === null) this.buildInBackground(snapshotId, timeZone);
    return build;
  }

  /** The lowest marked build of the snapshot in the zone (complete builds hold the same rows). */
  async latest(snapshotId: string, timeZone: string): Promise<string | null> {
    const result = await this.reader.query({
      query: `
        SELECT toString(build_id) AS build
        FROM {db:Identifier}.{markers:Identifier}
        WHERE snapshot_id = {snapshot_id:UInt64} AND time_zone = {time_zone:String}
        ORDER BY build_id
        LIMIT 1`,
      query_params: {
        db: this.database,
        markers: analyticsTables.leadFunnelRollupMarkers,
        snapshot_id: snapshotId,
        time_zone: timeZone,
      },
      format: 'JSONEachRow',
    });
    const [row] = await result.json<{ build: string }>();
    return row?.build ?? null;
  }

  protected nameOf(snapshotId: string, timeZone: string): string {
    return `${snapshotId}/${timeZone}`;
  }

  /** Rows, then marker, then the rollups of dropped snapshots go. */
  protected async write(snapshotId: string, timeZone: string): Promise<string | null> {
    const done = await this.latest(snapshotId, timeZone);
    if (done !== null) return done;
    const params = {
      db: this.database,
      rollups: analyticsTables.leadFunnelRollups,
      markers: analyticsTables.leadFunnelRollupMarkers,
      snapshots: analyticsTables.leadFunnelSnapshots,
      snapshot_id: snapshotId,
      time_zone: timeZone,
      build_id: newBuildId(),
      // Every row of the snapshot (_lead-funnel-snapshot.sql with no lead left out).
      changed_leads: [],
      ...UNBOUNDED_CAPTURE,
    };
    await this.beforeStatement();
    await this.client.command({
      query: rollupRowsInsert(await this.momentsOfSnapshot()),
      query_params: params,
    });
    // The marker last, and only once every row is in: this is what makes the rows readable.
    this.throwIfCancelled();
    await this.client.command({
      query: `
        INSERT INTO {db:Identifier}.{markers:Identifier}
        SELECT {snapshot_id:UInt64}, {time_zone:String}, {build_id:UInt64}, count(), now64(3, 'UTC')
        FROM {db:Identifier}.{rollups:Identifier}
        WHERE snapshot_id = {snapshot_id:UInt64}
          AND time_zone = {time_zone:String}
          AND build_id = {build_id:UInt64}`,
      query_params: params,
    });
    await this.dropOrphaned(
      {
        markers: analyticsTables.leadFunnelRollupMarkers,
        rows: analyticsTables.leadFunnelRollups,
      },
      snapshotId,
    );
    return this.latest(snapshotId, timeZone);
  }
}
