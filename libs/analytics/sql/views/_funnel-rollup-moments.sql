-- The stage moments the trend and the targets views group, per day of the reporting time zone:
-- what lead_funnel_rollups (migration 0028) keeps per snapshot, and how the leads changed since
-- a snapshot are taken out of it and put back (views/funnel-trend.rollup.sql). Not a query of
-- its own: the lead_funnel marker is the per-lead funnel it reads (a snapshot, a few of its
-- leads, or those leads from the state).
--
-- Grain: one row per (view, stage, day, channel, campaign, owner, currency).
--   view 'trend': funnel-trend.sql's moments (its ARRAY JOIN, same stages), with the capture
--     window filter it applies (bound to the unbounded window when kept); the money of a row is
--     the won deal's (won_currency, won_amount) for 'won', the opportunity's (currency,
--     opportunity_amount) for 'opportunity', none for other stages; owner ''.
--   view 'targets': targets-progress.sql's moments (its ARRAY JOIN, same metrics, the '' row
--     included), every lead; channel and campaign ''.
--   day: the moment's date in {time_zone} (targets-progress.sql's fact_day); moment: the
--     earliest moment of the row, from which the trend buckets its week, month or quarter (all
--     moments of one day fall in the same one).
--   moments: count of lead moments; amount: their money summed.
--
-- Parameters: time_zone String, captured_from / captured_to DateTime64(3, 'UTC').
SELECT
    point.1 AS view,
    point.2 AS stage,
    toDate32(toTimeZone(assumeNotNull(point.3), {time_zone:String})) AS day,
    min(assumeNotNull(point.3)) AS moment,
    point.4 AS channel,
    point.5 AS campaign,
    point.6 AS owner,
    point.7 AS currency,
    toInt64(count()) AS moments,
    sum(point.8) AS amount
FROM {{lead_funnel}} AS lead
ARRAY JOIN arrayFilter(
    m -> m.3 IS NOT NULL
        AND (
            m.1 = 'targets'
            OR ifNull(
                lead.captured_at >= {captured_from:DateTime64(3, 'UTC')}
                    AND lead.captured_at < {captured_to:DateTime64(3, 'UTC')},
                0
            )
        ),
    [
        ('trend', 'captured', lead.captured_at, lead.channel, lead.campaign, '', '', toDecimal128(0, 4)),
        ('trend', 'mql', lead.mql_at, lead.channel, lead.campaign, '', '', toDecimal128(0, 4)),
        ('trend', 'handed_to_sales', lead.handed_at, lead.channel, lead.campaign, '', '', toDecimal128(0, 4)),
        ('trend', 'accepted', lead.accepted_at, lead.channel, lead.campaign, '', '', toDecimal128(0, 4)),
        ('trend', 'rejected', lead.rejected_at, lead.channel, lead.campaign, '', '', toDecimal128(0, 4)),
        ('trend', 'sql', lead.sql_at, lead.channel, lead.campaign, '', '', toDecimal128(0, 4)),
        ('trend', 'opportunity', lead.opportunity_at, lead.channel, lead.campaign, '', lead.currency, lead.opportunity_amount),
        ('trend', 'won', lead.won_at, lead.channel, lead.campaign, '', lead.won_currency, lead.won_amount),
        ('trend', 'lost', lead.lost_at, lead.channel, lead.campaign, '', '', toDecimal128(0, 4)),
        ('targets', '', toDateTime64('1970-01-01 00:00:00', 3, 'UTC'), '', '', '', '', toDecimal128(0, 4)),
        ('targets', 'leads', lead.captured_at, '', '', lead.owner, '', toDecimal128(0, 4)),
        ('targets', 'mqls', lead.mql_at, '', '', lead.owner, '', toDecimal128(0, 4)),
        ('targets', 'sqls', lead.sql_at, '', '', lead.owner, '', toDecimal128(0, 4)),
        ('targets', 'opportunities', lead.opportunity_at, '', '', lead.owner, '', toDecimal128(0, 4)),
        ('targets', 'won_deals', lead.won_at, '', '', lead.owner, '', toDecimal128(0, 4)),
        ('targets', 'won_revenue', lead.won_at, '', '', lead.owner, lead.won_currency, lead.won_amount),
        ('targets', 'pipeline', if(lead.opportunity_open, lead.opportunity_at, NULL), '', '', lead.owner, lead.currency, lead.opportunity_amount)
    ]
) AS point
GROUP BY view, stage, day, channel, campaign, owner, currency
