-- Sales lens: what each owner received from marketing and what became of it.
--
-- Grain: one row per owner, over leads of the capture cohort [captured_from, captured_to) that
-- were ever handed to sales. A lead belongs to the owner of its latest hand-off (a recycled
-- lead handed to someone else moves with it), so every handed lead is in exactly one row and
-- the column sums equal the cohort totals (reconciliation relies on this).
--
-- Counts are leads that ever reached the stage (lead_facts); money per currency as in the
-- marketing lens.
--   handed_to_sales: leads received: MQLs handed over and sales-sourced leads.
--   sales_sourced:   of those, the leads that entered sales directly, without an MQL (ADR 0008).
--   acceptance_rate: accepted / handed_to_sales.
--   win_rate:        won / leads whose opportunity closed (won or lost); open deals do not
--                    count against the owner yet.
-- Rates are NULL when the denominator is 0.
--
-- Parameters: db Identifier, captured_from / captured_to DateTime64(3, 'UTC').
-- Reads the lead-funnel fragment (views/_lead-funnel.sql), so it also binds rules_version, definition_hash,
-- sla_ms and as_of — the rule set the numbers are computed under and the business time they are as of.
SELECT
    owner,
    count() AS handed_to_sales,
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
    if(handed_to_sales = 0, NULL, round(accepted / handed_to_sales, 4)) AS acceptance_rate,
    if(
        countIf(won_at IS NOT NULL OR lost_at IS NOT NULL) = 0,
        NULL,
        round(won / countIf(won_at IS NOT NULL OR lost_at IS NOT NULL), 4)
    ) AS win_rate
FROM {{lead_funnel}}
WHERE captured_at >= {captured_from:DateTime64(3, 'UTC')}
  AND captured_at < {captured_to:DateTime64(3, 'UTC')}
  AND handed_at IS NOT NULL
GROUP BY owner
ORDER BY owner
