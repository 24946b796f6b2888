-- lead_funnel_rollup_markers: one row per complete rollup in lead_funnel_rollups (0028),
-- written after every row of it: the completion marker. Rows of a build without a marker (the
-- writer was killed) are never read.
--
-- Grain: one row per build_id; a rollup is of one snapshot (snapshot_id, whose own marker says
-- which rule set and position it covers) in one reporting time zone. Two complete builds of the
-- same (snapshot_id, time_zone) hold the same rows (a snapshot never changes); readers take the
-- lowest build_id.
CREATE TABLE IF NOT EXISTS {db:Identifier}.lead_funnel_rollup_markers
(
    snapshot_id UInt64,
    time_zone   String,
    build_id    UInt64,
    rows        UInt64,
    built_at    DateTime64(3, 'UTC')
)
ENGINE = MergeTree
ORDER BY (snapshot_id, time_zone, build_id)
