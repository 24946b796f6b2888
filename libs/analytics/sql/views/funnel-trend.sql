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
-- Reads the lead-funnel fragment (views/_lead-funnel.sql), so it also binds rules_version, definition_hash,
-- sla_ms and as_of — the rule set the numbers are computed under and the business time they are as of.
SELECT
    toString(period) AS period,
    channel,
    campaign,
    countIf(stage = 'captured') AS captured,
    countIf(stage = 'mql') AS mqls,
    countIf(stage = 'handed_to_sales') AS handed_to_sales,
    countIf(stage = 'accepted') AS accepted,
    countIf(stage = 'rejected') AS rejected,
    countIf(stage = 'sql') AS sqls,
    countIf(stage = 'opportunity') AS opportunities,
    countIf(stage = 'won') AS won,
    countIf(stage = 'lost') AS lost,
    mapApply(
        (code, amount) -> (code, toString(amount)),
        sumMapIf(map(won_currency, won_amount), stage = 'won')
    ) AS won_revenue,
    mapApply(
        (code, amount) -> (code, toString(amount)),
        sumMapIf(map(currency, opportunity_amount), stage = 'opportunity')
    ) AS pipeline_created
FROM
(
    SELECT
        channel,
        campaign,
        currency,
        opportunity_amount,
        won_currency,
        won_amount,
        moment.1 AS stage,
        -- The same bucketing as funnel-leads.sql's drill-down of a trend point.
        multiIf(
            {grain:String} = 'week', toStartOfWeek(assumeNotNull(moment.2), 1, {time_zone:String}),
            {grain:String} = 'month', toStartOfMonth(assumeNotNull(moment.2), {time_zone:String}),
            -- A fiscal quarter: back from the moment's month to the quarter's first month,
            -- counting quarters from {fiscal_start_month}.
            addMonths(
                toStartOfMonth(assumeNotNull(moment.2), {time_zone:String}),
                -((toMonth(assumeNotNull(moment.2), {time_zone:String}) + 12 - {fiscal_start_month:UInt8}) % 3)
            )
        ) AS period
    FROM {{lead_funnel}}
    ARRAY JOIN arrayFilter(
        m -> m.2 IS NOT NULL,
        [
            ('captured', captured_at),
            ('mql', mql_at),
            ('handed_to_sales', handed_at),
            ('accepted', accepted_at),
            ('rejected', rejected_at),
            ('sql', sql_at),
            ('opportunity', opportunity_at),
            ('won', won_at),
            ('lost', lost_at)
        ]
    ) AS moment
    WHERE captured_at >= {captured_from:DateTime64(3, 'UTC')}
      AND captured_at < {captured_to:DateTime64(3, 'UTC')}
)
GROUP BY period, channel, campaign
ORDER BY period, channel, campaign
