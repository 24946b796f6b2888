-- lead_facts (0003) was a second copy of the per-lead fold the views read
-- (views/_lead-funnel.sql over _lead-state.sql / _lead-fold-as-of.sql), and it counted
-- recorded MQLs, so after `rules apply` an analyst's numbers differed from the dashboard's.
-- Analysts read the same fold as the API now: the parameterised view lead_funnel(...) that
-- `migrate` creates from the view files (libs/analytics/src/clickhouse/analyst-views.ts).
DROP VIEW IF EXISTS {db:Identifier}.lead_facts
