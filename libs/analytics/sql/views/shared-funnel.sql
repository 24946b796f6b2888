-- Shared funnel: how many leads ever reached each stage, and the conversion from the stage
-- before. One row per path and stage, in funnel order. Both teams read these same numbers.
--
-- Grain: one row per (path, stage) over the capture cohort [captured_from, captured_to): leads
-- whose LeadCaptured business time falls in the window. Every lead is on exactly one path
-- (_lead-funnel.sql, ADR 0008): 'marketing' (captured → mql → handed_to_sales → ...) or
-- 'sales_sourced' (captured → handed_to_sales → ..., no mql stage: those leads reached sales
-- without one). Each path's counts never rise from one stage to the next; a stage's total is
-- the sum over both paths. The sales_sourced rows are there, at 0, when no lead took the path. Counts are leads that *ever* reached the stage
-- (see lead_facts), so recycled leads count once.
--
-- Conversion is from the stage's predecessor: accepted and rejected both from handed_to_sales,
-- won and lost both from opportunity. NULL when the predecessor is 0 (no division by zero,
-- no invented 0 %).
--
-- Parameters: db Identifier, captured_from / captured_to DateTime64(3, 'UTC').
-- Reads the lead-funnel fragment (views/_lead-funnel.sql), so it also binds rules_version, definition_hash,
-- sla_ms and as_of — the rule set the numbers are computed under and the business time they are as of.
SELECT
    step.1 AS path,
    step.2 AS position,
    step.3 AS stage,
    step.4 AS leads,
    step.5 AS previous_stage,
    if(step.6 = 0, NULL, round(step.4 / step.6, 4)) AS conversion
FROM
(
    -- One row even over an empty window, so both paths always show every stage.
    SELECT
        countIf(path = 'marketing') AS m_captured,
        countIf(path = 'marketing' AND mql_at IS NOT NULL) AS m_mql,
        countIf(path = 'marketing' AND handed_at IS NOT NULL) AS m_handed_to_sales,
        countIf(path = 'marketing' AND accepted_at IS NOT NULL) AS m_accepted,
        countIf(path = 'marketing' AND rejected_at IS NOT NULL) AS m_rejected,
        countIf(path = 'marketing' AND sql_at IS NOT NULL) AS m_sql,
        countIf(path = 'marketing' AND opportunity_at IS NOT NULL) AS m_opportunity,
        countIf(path = 'marketing' AND won_at IS NOT NULL) AS m_won,
        countIf(path = 'marketing' AND lost_at IS NOT NULL) AS m_lost,
        countIf(path = 'sales_sourced') AS s_captured,
        countIf(path = 'sales_sourced' AND handed_at IS NOT NULL) AS s_handed_to_sales,
        countIf(path = 'sales_sourced' AND accepted_at IS NOT NULL) AS s_accepted,
        countIf(path = 'sales_sourced' AND rejected_at IS NOT NULL) AS s_rejected,
        countIf(path = 'sales_sourced' AND sql_at IS NOT NULL) AS s_sql,
        countIf(path = 'sales_sourced' AND opportunity_at IS NOT NULL) AS s_opportunity,
        countIf(path = 'sales_sourced' AND won_at IS NOT NULL) AS s_won,
        countIf(path = 'sales_sourced' AND lost_at IS NOT NULL) AS s_lost
    FROM {{lead_funnel}}
    WHERE captured_at >= {captured_from:DateTime64(3, 'UTC')}
      AND captured_at < {captured_to:DateTime64(3, 'UTC')}
) AS totals
ARRAY JOIN
[
    tuple('marketing', toUInt8(1), 'captured', m_captured, CAST(NULL, 'Nullable(String)'), toUInt64(0)),
    tuple('marketing', toUInt8(2), 'mql', m_mql, 'captured', m_captured),
    tuple('marketing', toUInt8(3), 'handed_to_sales', m_handed_to_sales, 'mql', m_mql),
    tuple('marketing', toUInt8(4), 'accepted', m_accepted, 'handed_to_sales', m_handed_to_sales),
    tuple('marketing', toUInt8(5), 'rejected', m_rejected, 'handed_to_sales', m_handed_to_sales),
    tuple('marketing', toUInt8(6), 'sql', m_sql, 'accepted', m_accepted),
    tuple('marketing', toUInt8(7), 'opportunity', m_opportunity, 'sql', m_sql),
    tuple('marketing', toUInt8(8), 'won', m_won, 'opportunity', m_opportunity),
    tuple('marketing', toUInt8(9), 'lost', m_lost, 'opportunity', m_opportunity),
    tuple('sales_sourced', toUInt8(1), 'captured', s_captured, CAST(NULL, 'Nullable(String)'), toUInt64(0)),
    tuple('sales_sourced', toUInt8(3), 'handed_to_sales', s_handed_to_sales, 'captured', s_captured),
    tuple('sales_sourced', toUInt8(4), 'accepted', s_accepted, 'handed_to_sales', s_handed_to_sales),
    tuple('sales_sourced', toUInt8(5), 'rejected', s_rejected, 'handed_to_sales', s_handed_to_sales),
    tuple('sales_sourced', toUInt8(6), 'sql', s_sql, 'accepted', s_accepted),
    tuple('sales_sourced', toUInt8(7), 'opportunity', s_opportunity, 'sql', s_sql),
    tuple('sales_sourced', toUInt8(8), 'won', s_won, 'opportunity', s_opportunity),
    tuple('sales_sourced', toUInt8(9), 'lost', s_lost, 'opportunity', s_opportunity)
] AS step
ORDER BY path, position
