-- Time in stage: how long leads take from entering a stage to reaching the next one.
--
-- Grain: one row per stage transition, in funnel order, over the capture cohort
-- [captured_from, captured_to). accepted and rejected both follow handed_to_sales; won and lost
-- both follow opportunity. Times are the "ever reached" first times of lead_facts, so a
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
    step.1 AS position,
    step.2 AS from_stage,
    step.3 AS to_stage,
    length(step.4) AS leads,
    if(leads = 0, NULL, round(arrayReduce('quantileExactInclusive(0.5)', step.4), 2)) AS median_hours,
    if(leads = 0, NULL, round(arrayReduce('quantileExactInclusive(0.9)', step.4), 2)) AS p90_hours
FROM
(
    SELECT
        groupArrayIf(dateDiff('millisecond', captured_at, mql_at) / 3600000, ifNull(mql_at >= captured_at, 0)) AS captured_mql,
        groupArrayIf(dateDiff('millisecond', mql_at, handed_at) / 3600000, ifNull(handed_at >= mql_at, 0)) AS mql_handed,
        groupArrayIf(dateDiff('millisecond', handed_at, accepted_at) / 3600000, ifNull(accepted_at >= handed_at, 0)) AS handed_accepted,
        groupArrayIf(dateDiff('millisecond', handed_at, rejected_at) / 3600000, ifNull(rejected_at >= handed_at, 0)) AS handed_rejected,
        groupArrayIf(dateDiff('millisecond', accepted_at, sql_at) / 3600000, ifNull(sql_at >= accepted_at, 0)) AS accepted_sql,
        groupArrayIf(dateDiff('millisecond', sql_at, opportunity_at) / 3600000, ifNull(opportunity_at >= sql_at, 0)) AS sql_opportunity,
        groupArrayIf(dateDiff('millisecond', opportunity_at, won_at) / 3600000, ifNull(won_at >= opportunity_at, 0)) AS opportunity_won,
        groupArrayIf(dateDiff('millisecond', opportunity_at, lost_at) / 3600000, ifNull(lost_at >= opportunity_at, 0)) AS opportunity_lost
    FROM {{lead_funnel}}
    WHERE captured_at >= {captured_from:DateTime64(3, 'UTC')}
      AND captured_at < {captured_to:DateTime64(3, 'UTC')}
) AS durations
ARRAY JOIN
[
    tuple(toUInt8(1), 'captured', 'mql', captured_mql),
    tuple(toUInt8(2), 'mql', 'handed_to_sales', mql_handed),
    tuple(toUInt8(3), 'handed_to_sales', 'accepted', handed_accepted),
    tuple(toUInt8(4), 'handed_to_sales', 'rejected', handed_rejected),
    tuple(toUInt8(5), 'accepted', 'sql', accepted_sql),
    tuple(toUInt8(6), 'sql', 'opportunity', sql_opportunity),
    tuple(toUInt8(7), 'opportunity', 'won', opportunity_won),
    tuple(toUInt8(8), 'opportunity', 'lost', opportunity_lost)
] AS step
ORDER BY position
