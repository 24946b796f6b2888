-- lead_funnel_snapshot_markers.fingerprint: a digest of what the snapshot and the copies kept
-- with it were computed by (the statements that write them and the migrations applied; see
-- lead-snapshots/), recorded with its marker. A snapshot whose fingerprint is not the running
-- code's is never read: no event arrives when a deploy changes how the funnel is computed, or
-- when a migration rewrites the state a snapshot copied (as 0036 did, which 0037 then had to
-- repeat on the snapshots by hand), so the leads changed since its position would not say it
-- is stale. Markers written before this column have '' and are read by no code: a new
-- snapshot is taken, as after a start with none.
ALTER TABLE {db:Identifier}.lead_funnel_snapshot_markers
    ADD COLUMN IF NOT EXISTS fingerprint String DEFAULT ''
