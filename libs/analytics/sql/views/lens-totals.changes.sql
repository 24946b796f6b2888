-- The lens witnesses' correction for the leads changed since a snapshot of the per-lead funnel
-- (reconciliation/lens-totals.ts): both lenses as the views answer them (marketing-lens.sql,
-- sales-lens.sql, unchanged) over those leads only, once over their rows in the snapshot (to be
-- taken out of the lenses summed over the whole snapshot, kept per snapshot in the process) and
-- once over their rows now (_lead-funnel-changed.sql: the funnel from the kept state, as the
-- views read them beside the snapshot). Not the view files' own markers: AnalyticsQueries puts
-- each lens, composed over one of the two, where this file says its marker.
--
-- Grain: the lens rows of each (lens, side), with only the columns both lenses share (the ones
-- reconciliation sums, reconciliation.ts): every lens column is a sum over the row's leads, so
-- the lens summed over every lead of "now" is the whole snapshot's sum, minus the changed
-- leads' snapshot rows' sum, plus their rows' sum now.
--
-- Parameters: those of both lenses (the funnel's and the capture window), snapshot_id UInt64,
-- changed_leads Array(String).
SELECT 'marketing' AS lens, 'taken_out' AS side, handed_to_sales, accepted, rejected, opportunities, won, won_revenue
FROM {{marketing_taken_out}}
UNION ALL
SELECT 'marketing' AS lens, 'put_back' AS side, handed_to_sales, accepted, rejected, opportunities, won, won_revenue
FROM {{marketing_put_back}}
UNION ALL
SELECT 'sales' AS lens, 'taken_out' AS side, handed_to_sales, accepted, rejected, opportunities, won, won_revenue
FROM {{sales_taken_out}}
UNION ALL
SELECT 'sales' AS lens, 'put_back' AS side, handed_to_sales, accepted, rejected, opportunities, won, won_revenue
FROM {{sales_put_back}}
