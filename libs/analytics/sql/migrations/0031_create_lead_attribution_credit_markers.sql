-- lead_attribution_credit_markers: one row per complete build in lead_attribution_credits
-- (0030), written after every row of it: the completion marker. Rows of a build without a
-- marker (the writer was killed) are never read.
--
-- Grain: one row per build_id; a build is of one snapshot (snapshot_id, whose own marker says
-- which rule set and position it covers). Two complete builds of the same snapshot hold the
-- same rows but for visitors' touches recorded in between, which the readers recompute anyway;
-- readers take the lowest build_id.
CREATE TABLE IF NOT EXISTS {db:Identifier}.lead_attribution_credit_markers
(
    snapshot_id UInt64,
    build_id    UInt64,
    rows        UInt64,
    built_at    DateTime64(3, 'UTC')
)
ENGINE = MergeTree
ORDER BY (snapshot_id, build_id)
