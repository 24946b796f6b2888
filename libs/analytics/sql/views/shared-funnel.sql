-- Shared funnel: how many leads ever reached each stage, and the conversion from the stage
-- before. One row per stage, in funnel order. Both teams read these same numbers.
--
-- Grain: one row per stage over the capture cohort [captured_from, captured_to): leads whose
-- LeadCaptured business time falls in the window. Counts are leads that *ever* reached the stage
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
    step.1 AS position,
    step.2 AS stage,
    step.3 AS leads,
    step.4 AS previous_stage,
    if(step.5 = 0, NULL, round(step.3 / step.5, 4)) AS conversion
FROM
(
    SELECT
        count() AS captured,
        countIf(mql_at IS NOT NULL) AS mql,
        countIf(handed_at IS NOT NULL) AS handed_to_sales,
        countIf(accepted_at IS NOT NULL) AS accepted,
        countIf(rejected_at IS NOT NULL) AS rejected,
        countIf(sql_at IS NOT NULL) AS sql,
        countIf(opportunity_at IS NOT NULL) AS opportunity,
        countIf(won_at IS NOT NULL) AS won,
        countIf(lost_at IS NOT NULL) AS lost
    FROM {{lead_funnel}}
    WHERE captured_at >= {captured_from:DateTime64(3, 'UTC')}
      AND captured_at < {captured_to:DateTime64(3, 'UTC')}
) AS totals
ARRAY JOIN
[
    tuple(toUInt8(1), 'captured', captured, CAST(NULL, 'Nullable(String)'), toUInt64(0)),
    tuple(toUInt8(2), 'mql', mql, 'captured', captured),
    tuple(toUInt8(3), 'handed_to_sales', handed_to_sales, 'mql', mql),
    tuple(toUInt8(4), 'accepted', accepted, 'handed_to_sales', handed_to_sales),
    tuple(toUInt8(5), 'rejected', rejected, 'handed_to_sales', handed_to_sales),
    tuple(toUInt8(6), 'sql', sql, 'accepted', accepted),
    tuple(toUInt8(7), 'opportunity', opportunity, 'sql', sql),
    tuple(toUInt8(8), 'won', won, 'opportunity', opportunity),
    tuple(toUInt8(9), 'lost', lost, 'opportunity', opportunity)
] AS step
ORDER BY position
