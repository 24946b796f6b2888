-- Some leads' rows of one snapshot of the per-lead funnel (lead_funnel_snapshots, 0019), with
-- the funnel's columns: what _funnel-rollup-changes.sql takes out of the snapshot's rollup, and
-- what lens-totals.changes.sql takes out of both lenses summed over the whole snapshot.
--
-- Parameters: db Identifier, snapshot_id UInt64, changed_leads Array(String).
SELECT * EXCEPT (snapshot_id)
FROM {db:Identifier}.lead_funnel_snapshots
WHERE snapshot_id = {snapshot_id:UInt64}
  AND lead_id IN {changed_leads:Array(String)}
