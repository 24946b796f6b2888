-- Account lens (ABM): every lens total rolled up by account.
--
-- Grain: one row per account_id over the capture cohort [captured_from, captured_to); account_id
-- is '' for leads without an account. Every captured lead of the cohort is in exactly one row,
-- so the columns sum to the marketing lens totals. Same "ever reached" counts and per-currency
-- money as the marketing and sales lenses; sales_sourced as in the marketing lens (ADR 0008).
--
-- Parameters: db Identifier, captured_from / captured_to DateTime64(3, 'UTC').
-- Reads the lead-funnel fragment (views/_lead-funnel.sql), so it also binds rules_version, definition_hash,
-- sla_ms and as_of — the rule set the numbers are computed under and the business time they are as of.
SELECT
    ifNull(account_id, '') AS account,
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
    ) AS pipeline
FROM {{lead_funnel}}
WHERE captured_at >= {captured_from:DateTime64(3, 'UTC')}
  AND captured_at < {captured_to:DateTime64(3, 'UTC')}
GROUP BY account
ORDER BY account
