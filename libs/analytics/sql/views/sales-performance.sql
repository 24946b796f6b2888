-- Sales performance: speed and outcomes per team and owner.
--
-- Grain: one row per (team, owner) of the lead's latest hand-off, over leads of the capture
-- cohort [captured_from, captured_to) ever handed to sales (so the rows sum to the sales lens).
--   response hours:  from the first hand-off to the first acceptance or rejection (first times,
--                    "ever reached"); median / p90 by quantileExactInclusive, 2 places. SLA
--                    compliance against slaDueAt is in alignment.sql.
--   win_rate:        won / leads whose opportunity closed (won or lost), as in the sales lens.
--   cycle days:      from the first OpportunityOpened to the first DealWon or DealLost;
--                    median / p90, 2 places.
--   loss_reasons:    loss reason code -> lost leads (latest DealLost reason).
--   sales_sourced:   of handed_to_sales, the leads that entered sales directly (ADR 0008).
-- Quantiles and rates are NULL without data.
--
-- Parameters: db Identifier, captured_from / captured_to DateTime64(3, 'UTC').
-- Reads the lead-funnel fragment (views/_lead-funnel.sql), so it also binds rules_version, definition_hash,
-- sla_ms and as_of — the rule set the numbers are computed under and the business time they are as of.
SELECT
    team,
    owner,
    handed_to_sales,
    sales_sourced,
    accepted,
    rejected,
    if(length(response_hours) = 0, NULL, round(arrayReduce('quantileExactInclusive(0.5)', response_hours), 2)) AS median_response_hours,
    if(length(response_hours) = 0, NULL, round(arrayReduce('quantileExactInclusive(0.9)', response_hours), 2)) AS p90_response_hours,
    won,
    lost,
    if(closed = 0, NULL, round(won / closed, 4)) AS win_rate,
    if(length(cycle_days) = 0, NULL, round(arrayReduce('quantileExactInclusive(0.5)', cycle_days), 2)) AS median_cycle_days,
    if(length(cycle_days) = 0, NULL, round(arrayReduce('quantileExactInclusive(0.9)', cycle_days), 2)) AS p90_cycle_days,
    loss_reasons
FROM
(
    SELECT
        team,
        owner,
        count() AS handed_to_sales,
        countIf(path = 'sales_sourced') AS sales_sourced,
        countIf(accepted_at IS NOT NULL) AS accepted,
        countIf(rejected_at IS NOT NULL) AS rejected,
        groupArrayIf(
            dateDiff('millisecond', handed_at, coalesce(least(accepted_at, rejected_at), accepted_at, rejected_at)) / 3600000,
            ifNull(coalesce(least(accepted_at, rejected_at), accepted_at, rejected_at) >= handed_at, 0)
        ) AS response_hours,
        countIf(won_at IS NOT NULL) AS won,
        countIf(lost_at IS NOT NULL) AS lost,
        countIf(won_at IS NOT NULL OR lost_at IS NOT NULL) AS closed,
        groupArrayIf(
            dateDiff('millisecond', opportunity_at, coalesce(least(won_at, lost_at), won_at, lost_at)) / 86400000,
            ifNull(coalesce(least(won_at, lost_at), won_at, lost_at) >= opportunity_at, 0)
        ) AS cycle_days,
        CAST(sumMapIf(map(loss_reason, toUInt64(1)), lost_at IS NOT NULL), 'Map(String, UInt64)') AS loss_reasons
    FROM {{lead_funnel}}
    WHERE captured_at >= {captured_from:DateTime64(3, 'UTC')}
      AND captured_at < {captured_to:DateTime64(3, 'UTC')}
      AND handed_at IS NOT NULL
    GROUP BY team, owner
)
ORDER BY team, owner
