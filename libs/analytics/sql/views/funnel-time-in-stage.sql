-- Time in stage: how long leads take from entering a stage to reaching the next one.
--
-- Grain: one row per path and stage transition, in funnel order, over the capture cohort
-- [captured_from, captured_to). accepted and rejected both follow handed_to_sales; won and lost
-- both follow opportunity. Each lead is on one path (_lead-funnel.sql, ADR 0008): the
-- marketing path goes captured → mql → handed_to_sales, the sales_sourced path straight from
-- captured to handed_to_sales (position 2, the step that ends in handed_to_sales); from there
-- on both paths have the same steps, each timed over its own leads. Times are the "ever reached" first times of lead_facts, so a
-- recycled lead contributes its first pass only.
--
--   leads:        leads that reached both stages with to_at >= from_at (events recorded with
--                 business times out of order are left out, not counted as negative time)
--   median_hours, p90_hours: quantileExactInclusive (linear interpolation between the sorted
--                 values, like a spreadsheet's PERCENTILE.INC) of the hours between the two
--                 first times, rounded to 2 places; NULL when leads = 0.
--
-- Parameters: db Identifier, captured_from / captured_to DateTime64(3, 'UTC').
-- Reads the lead-funnel fragment (views/_lead-funnel.sql), so it also binds rules_version, definition_hash,
-- sla_ms and as_of — the rule set the numbers are computed under and the business time they are as of.
SELECT
    step.1 AS path,
    step.2 AS position,
    step.3 AS from_stage,
    step.4 AS to_stage,
    length(step.5) AS leads,
    if(leads = 0, NULL, round(arrayReduce('quantileExactInclusive(0.5)', step.5), 2)) AS median_hours,
    if(leads = 0, NULL, round(arrayReduce('quantileExactInclusive(0.9)', step.5), 2)) AS p90_hours
FROM
(
    SELECT
        groupArrayIf(dateDiff('millisecond', captured_at, mql_at) / 3600000, path = 'marketing' AND ifNull(mql_at >= captured_at, 0)) AS m_captured_mql,
        groupArrayIf(dateDiff('millisecond', mql_at, handed_at) / 3600000, path = 'marketing' AND ifNull(handed_at >= mql_at, 0)) AS m_mql_handed_to_sales,
        groupArrayIf(dateDiff('millisecond', handed_at, accepted_at) / 3600000, path = 'marketing' AND ifNull(accepted_at >= handed_at, 0)) AS m_handed_to_sales_accepted,
        groupArrayIf(dateDiff('millisecond', handed_at, rejected_at) / 3600000, path = 'marketing' AND ifNull(rejected_at >= handed_at, 0)) AS m_handed_to_sales_rejected,
        groupArrayIf(dateDiff('millisecond', accepted_at, sql_at) / 3600000, path = 'marketing' AND ifNull(sql_at >= accepted_at, 0)) AS m_accepted_sql,
        groupArrayIf(dateDiff('millisecond', sql_at, opportunity_at) / 3600000, path = 'marketing' AND ifNull(opportunity_at >= sql_at, 0)) AS m_sql_opportunity,
        groupArrayIf(dateDiff('millisecond', opportunity_at, won_at) / 3600000, path = 'marketing' AND ifNull(won_at >= opportunity_at, 0)) AS m_opportunity_won,
        groupArrayIf(dateDiff('millisecond', opportunity_at, lost_at) / 3600000, path = 'marketing' AND ifNull(lost_at >= opportunity_at, 0)) AS m_opportunity_lost,
        groupArrayIf(dateDiff('millisecond', captured_at, handed_at) / 3600000, path = 'sales_sourced' AND ifNull(handed_at >= captured_at, 0)) AS s_captured_handed_to_sales,
        groupArrayIf(dateDiff('millisecond', handed_at, accepted_at) / 3600000, path = 'sales_sourced' AND ifNull(accepted_at >= handed_at, 0)) AS s_handed_to_sales_accepted,
        groupArrayIf(dateDiff('millisecond', handed_at, rejected_at) / 3600000, path = 'sales_sourced' AND ifNull(rejected_at >= handed_at, 0)) AS s_handed_to_sales_rejected,
        groupArrayIf(dateDiff('millisecond', accepted_at, sql_at) / 3600000, path = 'sales_sourced' AND ifNull(sql_at >= accepted_at, 0)) AS s_accepted_sql,
        groupArrayIf(dateDiff('millisecond', sql_at, opportunity_at) / 3600000, path = 'sales_sourced' AND ifNull(opportunity_at >= sql_at, 0)) AS s_sql_opportunity,
        groupArrayIf(dateDiff('millisecond', opportunity_at, won_at) / 3600000, path = 'sales_sourced' AND ifNull(won_at >= opportunity_at, 0)) AS s_opportunity_won,
        groupArrayIf(dateDiff('millisecond', opportunity_at, lost_at) / 3600000, path = 'sales_sourced' AND ifNull(lost_at >= opportunity_at, 0)) AS s_opportunity_lost
    FROM {{lead_funnel}}
    WHERE captured_at >= {captured_from:DateTime64(3, 'UTC')}
      AND captured_at < {captured_to:DateTime64(3, 'UTC')}
) AS durations
ARRAY JOIN
[
    tuple('marketing', toUInt8(1), 'captured', 'mql', m_captured_mql),
    tuple('marketing', toUInt8(2), 'mql', 'handed_to_sales', m_mql_handed_to_sales),
    tuple('marketing', toUInt8(3), 'handed_to_sales', 'accepted', m_handed_to_sales_accepted),
    tuple('marketing', toUInt8(4), 'handed_to_sales', 'rejected', m_handed_to_sales_rejected),
    tuple('marketing', toUInt8(5), 'accepted', 'sql', m_accepted_sql),
    tuple('marketing', toUInt8(6), 'sql', 'opportunity', m_sql_opportunity),
    tuple('marketing', toUInt8(7), 'opportunity', 'won', m_opportunity_won),
    tuple('marketing', toUInt8(8), 'opportunity', 'lost', m_opportunity_lost),
    tuple('sales_sourced', toUInt8(2), 'captured', 'handed_to_sales', s_captured_handed_to_sales),
    tuple('sales_sourced', toUInt8(3), 'handed_to_sales', 'accepted', s_handed_to_sales_accepted),
    tuple('sales_sourced', toUInt8(4), 'handed_to_sales', 'rejected', s_handed_to_sales_rejected),
    tuple('sales_sourced', toUInt8(5), 'accepted', 'sql', s_accepted_sql),
    tuple('sales_sourced', toUInt8(6), 'sql', 'opportunity', s_sql_opportunity),
    tuple('sales_sourced', toUInt8(7), 'opportunity', 'won', s_opportunity_won),
    tuple('sales_sourced', toUInt8(8), 'opportunity', 'lost', s_opportunity_lost)
] AS step
ORDER BY path, position, to_stage
