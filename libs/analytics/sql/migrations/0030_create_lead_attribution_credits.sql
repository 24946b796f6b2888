-- lead_attribution_credits: marketing attribution's rows (views/marketing-attribution.rows.sql)
-- of one snapshot of the per-lead funnel (lead_funnel_snapshots, 0019) summed per lead, for
-- every attribution model, so that a request over "now" sums a few hundred thousand kept rows
-- instead of splitting every lead's amount over its path and walking its touch pairs
-- (libs/analytics/src/views/attribution-credits/, docs/performance.md).
--
-- Grain: one row per (snapshot_id, build_id, kind, model, lead_id, channel, campaign,
-- won_code, pipeline_code). A build is written once, from a marked snapshot under its rule set,
-- and is complete only once its marker (lead_attribution_credit_markers, 0031) names it: rows
-- of a build killed halfway are never read. Partitioned like the snapshots, so what is kept for
-- a dropped snapshot is dropped whole with it.
--   kind      'touched': the lead's counted path touches (channel, campaign) (leads 1, model '');
--             'credit': the lead's credited units there under `model` (leads 0);
--             'visitor': a visitor its LeadCaptured names (visitor_id; everything else empty),
--             so that the leads whose stitched touches grew since the snapshot are found and
--             recomputed like the leads whose own events did.
--   captured_at the lead's capture (the view's cohort is cut on it).
--   won_credit / pipeline_credit  units of 0.0001 in won_code / pipeline_code (NULL: none).
-- Derived data only: a rebuild empties it (resetAnalytics) and it is written again.
CREATE TABLE IF NOT EXISTS {db:Identifier}.lead_attribution_credits
(
    snapshot_id     UInt64,
    build_id        UInt64,
    kind            LowCardinality(String),
    model           LowCardinality(String),
    lead_id         String,
    captured_at     DateTime64(3, 'UTC'),
    channel         String,
    campaign        String,
    leads           UInt64,
    won_code        Nullable(String),
    pipeline_code   Nullable(String),
    won_credit      Int128,
    pipeline_credit Int128,
    visitor_id      String
)
ENGINE = MergeTree
PARTITION BY snapshot_id
ORDER BY (build_id, kind, model, lead_id)
