-- lead_funnel_rollups: the per-day moments of one snapshot of the per-lead funnel
-- (lead_funnel_snapshots, 0019) in one reporting time zone, so that the trend and the targets
-- views group a few tens of thousands of rows per request instead of every lead's ~4 stage
-- moments (libs/analytics/src/views/funnel-rollups/, views/_funnel-rollup-moments.sql).
--
-- Grain: one row per (snapshot_id, time_zone, build_id, view, stage, day, channel, campaign,
-- owner, currency). A rollup is written once, by one INSERT ... SELECT from a marked snapshot,
-- and is complete only once its marker (lead_funnel_rollup_markers, 0029) names its build_id:
-- rows of a build killed halfway are never read. Partitioned like the snapshots, so that what
-- is kept for a dropped snapshot is dropped whole with it.
--   view      'trend' (funnel-trend.sql's moments: channel, campaign, currency of the stage's
--             money; leads of the unbounded capture window) or 'targets' (targets-progress.sql's
--             moments per metric: owner, currency; every lead).
--   day       the moment's date in time_zone; moment: the earliest moment of the row (any moment
--             of the day gives the same week, month and quarter).
--   moments   how many lead moments; amount: their money summed.
-- Derived data only: a rebuild empties it (resetAnalytics) and it is written again.
CREATE TABLE IF NOT EXISTS {db:Identifier}.lead_funnel_rollups
(
    snapshot_id UInt64,
    time_zone   String,
    build_id    UInt64,
    view        LowCardinality(String),
    stage       LowCardinality(String),
    day         Date32,
    moment      DateTime64(3, 'UTC'),
    channel     String,
    campaign    String,
    owner       String,
    currency    String,
    moments     Int64,
    amount      Decimal(38, 4)
)
ENGINE = MergeTree
PARTITION BY snapshot_id
ORDER BY (time_zone, build_id, view, stage, day, channel, campaign, owner, currency)
