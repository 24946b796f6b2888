-- The rows of targets progress (targets-progress.sql) from the per-lead funnel: every lead's
-- moments per metric, counted per (metric, day in {time_zone}, owner, currency) with their money
-- summed. Parameters: those of targets-progress.sql.
SELECT
    moment.1 AS fact_metric,
    toDate32(toTimeZone(assumeNotNull(moment.2), {time_zone:String})) AS fact_day,
    if(moment.1 = '', '', owner) AS fact_owner,
    moment.3 AS fact_currency,
    count() AS leads,
    sum(moment.4) AS amount
FROM {{lead_funnel}}
ARRAY JOIN arrayFilter(
    m -> m.2 IS NOT NULL,
    [
        ('', toDateTime64('1970-01-01 00:00:00', 3, 'UTC'), '', toDecimal128(0, 4)),
        ('leads', captured_at, '', toDecimal128(0, 4)),
        ('mqls', mql_at, '', toDecimal128(0, 4)),
        ('sqls', sql_at, '', toDecimal128(0, 4)),
        ('opportunities', opportunity_at, '', toDecimal128(0, 4)),
        ('won_deals', won_at, '', toDecimal128(0, 4)),
        ('won_revenue', won_at, won_currency, won_amount),
        ('pipeline', if(opportunity_open, opportunity_at, NULL), currency, opportunity_amount)
    ]
) AS moment
GROUP BY fact_metric, fact_day, fact_owner, fact_currency
