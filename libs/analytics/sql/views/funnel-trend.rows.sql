-- The rows of the funnel trend (funnel-trend.sql) from the per-lead funnel: each lead's stage
-- moments (its first time at each stage) of the capture cohort [captured_from, captured_to),
-- counted per (period, channel, campaign, stage, currency), with their money summed: the won
-- deal's amount for 'won' (won_currency), the opportunity's for 'opportunity' (currency), none
-- for the other stages. Parameters: those of funnel-trend.sql.
SELECT
    period,
    channel,
    campaign,
    stage,
    money_currency AS currency,
    count() AS moments,
    sum(money) AS amount
FROM
(
    SELECT
        channel,
        campaign,
        moment.1 AS stage,
        moment.3 AS money_currency,
        moment.4 AS money,
        -- The same bucketing as funnel-leads.sql's drill-down of a trend point.
        -- Date32 arithmetic, not toStartOfWeek/Month (a Date: nothing before 1970).
        multiIf(
            {grain:String} = 'week', subtractDays(toDate32(toTimeZone(assumeNotNull(moment.2), {time_zone:String})), toDayOfWeek(assumeNotNull(moment.2), 0, {time_zone:String}) - 1),
            {grain:String} = 'month', subtractDays(toDate32(toTimeZone(assumeNotNull(moment.2), {time_zone:String})), toDayOfMonth(assumeNotNull(moment.2), {time_zone:String}) - 1),
            -- A fiscal quarter: back from the moment's month to the quarter's first month,
            -- counting quarters from {fiscal_start_month}.
            addMonths(
                subtractDays(toDate32(toTimeZone(assumeNotNull(moment.2), {time_zone:String})), toDayOfMonth(assumeNotNull(moment.2), {time_zone:String}) - 1),
                -((toMonth(assumeNotNull(moment.2), {time_zone:String}) + 12 - {fiscal_start_month:UInt8}) % 3)
            )
        ) AS period
    FROM {{lead_funnel}}
    ARRAY JOIN arrayFilter(
        m -> m.2 IS NOT NULL,
        [
            ('captured', captured_at, '', toDecimal128(0, 4)),
            ('mql', mql_at, '', toDecimal128(0, 4)),
            ('handed_to_sales', handed_at, '', toDecimal128(0, 4)),
            ('accepted', accepted_at, '', toDecimal128(0, 4)),
            ('rejected', rejected_at, '', toDecimal128(0, 4)),
            ('sql', sql_at, '', toDecimal128(0, 4)),
            ('opportunity', opportunity_at, currency, opportunity_amount),
            ('won', won_at, won_currency, won_amount),
            ('lost', lost_at, '', toDecimal128(0, 4))
        ]
    ) AS moment
    WHERE captured_at >= {captured_from:DateTime64(3, 'UTC')}
      AND captured_at < {captured_to:DateTime64(3, 'UTC')}
)
GROUP BY period, channel, campaign, stage, money_currency
