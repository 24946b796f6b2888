-- The rows of marketing attribution (marketing-attribution.rows.sql) for "now", read from the
-- credits kept for a snapshot of the per-lead funnel (lead_attribution_credits, migration 0030;
-- libs/analytics/src/views/attribution-credits/) instead of from every lead: the same rows
-- summed per lead, which marketing-attribution.sql sums again to the same totals. Not a query
-- of its own: AnalyticsQueries puts it in place of the view_rows marker.
--
-- Exact at every moment: the leads changed since the snapshot — by their own events (the
-- snapshot's changed leads) or by a touch of a visitor their capture names
-- ({attribution_leads}, both, found just before) — are left out of the kept rows and computed
-- as the view always does (marketing-attribution.rows.sql cut to them, over the snapshot read),
-- where the attribution_changes marker is (nothing when no lead changed).
--
-- Parameters: db Identifier, snapshot_id UInt64, credits_build UInt64, model String,
-- captured_from / captured_to DateTime64(3, 'UTC'), attribution_leads Array(String), and those
-- of the changes (marketing-attribution.rows.sql's).
SELECT lead_id, captured_at, channel, campaign, leads, won_code, pipeline_code, won_credit, pipeline_credit
FROM {db:Identifier}.lead_attribution_credits
WHERE snapshot_id = {snapshot_id:UInt64}
  AND build_id = {credits_build:UInt64}
  AND (kind = 'touched' OR (kind = 'credit' AND model = {model:String}))
  AND captured_at >= {captured_from:DateTime64(3, 'UTC')}
  AND captured_at < {captured_to:DateTime64(3, 'UTC')}
  -- empty() first: with no changed lead, lead_id is not even compared.
  AND (empty({attribution_leads:Array(String)}) OR lead_id NOT IN {attribution_leads:Array(String)})
{{attribution_changes}}
