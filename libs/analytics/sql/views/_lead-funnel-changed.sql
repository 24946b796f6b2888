-- The leads changed since a snapshot of the per-lead funnel, computed as the funnel always is:
-- _lead-funnel.sql over the kept state, in place of the state_funnel marker, cut to those leads.
-- Not a query of its own: AnalyticsQueries appends it (UNION ALL) to _lead-funnel-snapshot.sql,
-- which leaves the same leads out. ClickHouse pushes the cut into both sides of the funnel's
-- join (the state's and the rule rows' primary keys), so it reads only their granules.
--
-- Parameters: those of _lead-funnel.sql (as_of the end of time), changed_leads Array(String).
SELECT *
FROM {{state_funnel}} AS changed
WHERE changed.lead_id IN {changed_leads:Array(String)}
