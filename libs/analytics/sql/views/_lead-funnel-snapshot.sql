-- The per-lead funnel of "now" under one rule set, read from a snapshot of it: the rows
-- _lead-funnel.sql over the kept state (_lead-state.sql) gave when the snapshot was taken,
-- without merging lead_state FINAL or joining the set's lead_rule_facts for every lead on every
-- request (libs/analytics/src/views/lead-snapshots/). Not a query of its own: AnalyticsQueries
-- puts it where a view says the lead_funnel marker when the rule set has a complete snapshot,
-- followed (UNION ALL) by _lead-funnel-changed.sql when some leads changed since.
--
-- Grain and columns: _lead-funnel.sql's, same order, same types.
--
-- Exact at every moment: the snapshot covers every lead's events up to its position (the
-- rules checkpoint when it was taken; migration 0020). The leads with a lead_state row or a
-- lead_rule_facts row of the set past that position ({changed_leads}, found just before) are
-- left out here and computed from the state by _lead-funnel-changed.sql; every other lead is
-- read as the snapshot wrote it, which is what the state still gives for it.
--
-- Parameters: db Identifier, snapshot_id UInt64, changed_leads Array(String).
SELECT * EXCEPT (snapshot_id)
FROM {db:Identifier}.lead_funnel_snapshots
WHERE snapshot_id = {snapshot_id:UInt64}
  -- empty() first: with no changed lead, lead_id is not even read.
  AND (empty({changed_leads:Array(String)}) OR lead_id NOT IN {changed_leads:Array(String)})
