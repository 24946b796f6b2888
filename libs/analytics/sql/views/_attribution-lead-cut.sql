-- Where marketing-attribution.rows.sql says the lead_cut marker: only the leads named (the ones
-- changed since a snapshot whose attribution credits are kept; marketing-attribution.kept.sql).
-- Without it (nothing in its place) the rows are every lead's of the cohort.
--
-- Parameters: attribution_leads Array(String).
AND lead_id IN {attribution_leads:Array(String)}
