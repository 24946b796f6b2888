-- The rows of the funnel trend (funnel-trend.sql), as funnel-trend.rows.sql gives them for "now"
-- over the unbounded capture window, from the day rollup of the funnel's snapshot
-- (_funnel-rollup.sql in place of the funnel_rollup marker, kept in the reporting time zone
-- bound here): each day's moments bucketed into its period by the same expression, from the
-- day's earliest moment. Parameters: those of funnel-trend.sql and of _funnel-rollup.sql.
SELECT
    multiIf(
        {grain:String} = 'week', subtractDays(toDate32(toTimeZone(rollup.moment, {time_zone:String})), toDayOfWeek(rollup.moment, 0, {time_zone:String}) - 1),
        {grain:String} = 'month', subtractDays(toDate32(toTimeZone(rollup.moment, {time_zone:String})), toDayOfMonth(rollup.moment, {time_zone:String}) - 1),
        addMonths(
            subtractDays(toDate32(toTimeZone(rollup.moment, {time_zone:String})), toDayOfMonth(rollup.moment, {time_zone:String}) - 1),
            -((toMonth(rollup.moment, {time_zone:String}) + 12 - {fiscal_start_month:UInt8}) % 3)
        )
    ) AS period,
    rollup.channel AS channel,
    rollup.campaign AS campaign,
    rollup.stage AS stage,
    rollup.currency AS currency,
    sum(rollup.moments) AS moments,
    sum(rollup.amount) AS amount
FROM {{funnel_rollup}} AS rollup
WHERE rollup.view = 'trend'
GROUP BY period, channel, campaign, stage, currency
