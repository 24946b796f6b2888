-- Marketing lens: the funnel per capture channel and campaign, closed-loop down to revenue.
--
-- Grain: one row per (channel, campaign) of the lead's LeadCaptured source, over the capture
-- cohort [captured_from, captured_to). campaign is '' for leads captured without one. Every
-- captured lead in the cohort is in exactly one row, so summing a column over all rows gives
-- the cohort total (reconciliation relies on this).
--
-- Counts are leads that ever reached the stage (lead_facts). Money is per currency, as a map
-- currency -> exact decimal string: there is no FX conversion here, and adding EUR to USD
-- would be a wrong number that looks right.
--   lost:        leads whose opportunity was lost (the sales lens's lost, by capture source).
--   won_revenue: amount of the lead's DealWon.
--   pipeline:    amount of the lead's currently open opportunity.
--   sales_sourced: of handed_to_sales, the leads that entered sales directly, never MQLs
--                (ADR 0008); they count in every later stage but never in mqls.
--   mql_rate:    mqls / leads.       sql_rate: marketing-path SQLs / mqls (MQL-to-SQL
--                conversion; a sales-sourced SQL had no MQL to convert from).
-- Rates are NULL when the denominator is 0.
--
-- Parameters: db Identifier, captured_from / captured_to DateTime64(3, 'UTC').
-- Reads the lead-funnel fragment (views/_lead-funnel.sql), so it also binds rules_version, definition_hash,
-- sla_ms and as_of — the rule set the numbers are computed under and the business time they are as of.
SELECT
    channel,
    campaign,
    count() AS leads,
    countIf(mql_at IS NOT NULL) AS mqls,
    countIf(handed_at IS NOT NULL) AS handed_to_sales,
    countIf(path = 'sales_sourced') AS sales_sourced,
    countIf(accepted_at IS NOT NULL) AS accepted,
    countIf(rejected_at IS NOT NULL) AS rejected,
    countIf(sql_at IS NOT NULL) AS sqls,
    countIf(opportunity_at IS NOT NULL) AS opportunities,
    countIf(won_at IS NOT NULL) AS won,
    countIf(lost_at IS NOT NULL) AS lost,
    mapApply(
        (code, amount) -> (code, toString(amount)),
        sumMapIf(map(won_currency, won_amount), won_at IS NOT NULL)
    ) AS won_revenue,
    mapApply(
        (code, amount) -> (code, toString(amount)),
        sumMapIf(map(currency, opportunity_amount), opportunity_open)
    ) AS pipeline,
    if(leads = 0, NULL, round(mqls / leads, 4)) AS mql_rate,
    if(mqls = 0, NULL, round(countIf(path = 'marketing' AND sql_at IS NOT NULL) / mqls, 4)) AS sql_rate
FROM {{lead_funnel}}
WHERE captured_at >= {captured_from:DateTime64(3, 'UTC')}
  AND captured_at < {captured_to:DateTime64(3, 'UTC')}
GROUP BY channel, campaign
ORDER BY channel, campaign
