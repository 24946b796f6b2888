-- Funnel trend: how many leads reached each stage in each week or month, by capture (channel,
-- campaign), and the money that moved with them: what the teams compare meeting to meeting.
--
-- Grain: one row per (period, channel, campaign) in which at least one lead of the capture
-- cohort [captured_from, captured_to) reached a stage, ordered by period, channel, campaign.
-- Unlike funnel-by-cohort (which files every stage under the capture period), each stage
-- counts in the period its moment fell in: a lead captured in January and won in March adds
-- to January's captured and March's won. Each lead counts once per stage (its first time).
--   period:           the Monday of the week (grain 'week'), the first of the month ('month'),
--                     or the first day of the fiscal quarter ('quarter': quarters counted from
--                     month fiscal_start_month, so with 4 = April, Q1 starts 1 April) in the
--                     reporting time zone (time_zone, the rule set's dictionary), so a lead
--                     captured Sunday 23:30 UTC is in the next week in Europe/Rome.
--   won_revenue:      DealWon amounts of the leads won in the period, per currency.
--   pipeline_created: amounts of the opportunities opened in the period, per currency (their
--                     latest amount; won, lost or open).
-- Summing a stage column over all rows gives the shared funnel's count for the same window.
--
-- Parameters: db Identifier, grain String ('week', 'month' or 'quarter', validated by the
-- caller), time_zone String (an IANA name), fiscal_start_month UInt8 (1-12): the rule set's
-- reporting calendar unless the request names another; captured_from / captured_to
-- DateTime64(3, 'UTC').
-- Its rows (the moments counted per period, channel, campaign, stage and currency) are
-- funnel-trend.rows.sql, in place of the view_rows marker, which reads the lead-funnel fragment
-- (views/_lead-funnel.sql), so it also binds rules_version, definition_hash, sla_ms and as_of —
-- the rule set the numbers are computed under and the business time they are as of. For "now"
-- over the unbounded capture window, the API reads funnel-trend.rollup.sql in their place: the
-- same rows from the day rollup kept for the funnel's snapshot (funnel-rollups/).
SELECT
    toString(period) AS period,
    channel,
    campaign,
    toUInt64(sumIf(moments, stage = 'captured')) AS captured,
    toUInt64(sumIf(moments, stage = 'mql')) AS mqls,
    toUInt64(sumIf(moments, stage = 'handed_to_sales')) AS handed_to_sales,
    toUInt64(sumIf(moments, stage = 'accepted')) AS accepted,
    toUInt64(sumIf(moments, stage = 'rejected')) AS rejected,
    toUInt64(sumIf(moments, stage = 'sql')) AS sqls,
    toUInt64(sumIf(moments, stage = 'opportunity')) AS opportunities,
    toUInt64(sumIf(moments, stage = 'won')) AS won,
    toUInt64(sumIf(moments, stage = 'lost')) AS lost,
    -- Per currency of the stage's money: the rows keep one currency each.
    mapApply(
        (code, total) -> (code, toString(total)),
        sumMapIf(map(currency, amount), stage = 'won')
    ) AS won_revenue,
    mapApply(
        (code, total) -> (code, toString(total)),
        sumMapIf(map(currency, amount), stage = 'opportunity')
    ) AS pipeline_created
FROM {{view_rows}} AS moments_by_period
GROUP BY period, channel, campaign
ORDER BY period, channel, campaign
