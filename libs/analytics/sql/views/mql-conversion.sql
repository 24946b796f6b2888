-- MQL-to-SQL conversion under one rule set: of the leads that are MQLs under the set's rules,
-- how many became SQLs. The what-if compares it between two sets.
--
-- Grain: one row over the capture cohort [captured_from, captured_to).
--   mqls:        leads that are MQLs under the set (as of as_of).
--   mqls_to_sql: those of them that reached SQL.
--   conversion:  mqls_to_sql / mqls, 4 places; NULL without MQLs.
--
-- Parameters: db Identifier, captured_from / captured_to DateTime64(3, 'UTC').
-- Reads the lead-funnel fragment (views/_lead-funnel.sql), so it also binds rules_version, definition_hash,
-- sla_ms and as_of — the rule set the numbers are computed under and the business time they are as of.
SELECT
    countIf(mql_at IS NOT NULL) AS mqls,
    countIf(mql_at IS NOT NULL AND sql_at IS NOT NULL) AS mqls_to_sql,
    if(mqls = 0, NULL, round(mqls_to_sql / mqls, 4)) AS conversion
FROM {{lead_funnel}}
WHERE captured_at >= {captured_from:DateTime64(3, 'UTC')}
  AND captured_at < {captured_to:DateTime64(3, 'UTC')}
