-- One page of the account lens (account-lens.sql) for the API: the account filter and the
-- paging done here, so a request ships one page of accounts.
--
-- The same rows as account-lens.sql, computed so that only the page pays for its money: every
-- account's counts are grouped (about 50k groups at 10M events), but its leads' amounts are
-- only listed per account (groupArrayIf, mostly empty lists) and summed per currency for the
-- accounts of the page (arrayReduce('sumMap'), the same sums and map as account-lens.sql's
-- sumMapIf). Summing a map for every account was most of this view's time
-- (docs/performance.md). A change to account-lens.sql's columns must be made here too; the
-- int specs compare both (analytics-views.int.spec.ts).
--
-- Order: account, as account-lens.sql; one row per account, so the order is total and pages
-- neither overlap nor skip.
-- matching_rows: every row the filter keeps, counted before LIMIT (0 rows on a page past the
-- end: the caller asks again for the first page to learn the total).
--
-- Parameters: those of account-lens.sql, plus account Nullable(String) (NULL: no filter;
-- otherwise the exact, case-sensitive value), limit UInt32, offset UInt64.
SELECT
    matching_rows,
    account,
    leads,
    mqls,
    handed_to_sales,
    sales_sourced,
    accepted,
    rejected,
    sqls,
    opportunities,
    won,
    lost,
    mapApply(
        (code, amount) -> (code, toString(amount)),
        arrayReduce('sumMap', arrayMap(deal -> map(deal.1, deal.2), won_deals))
    ) AS won_revenue,
    mapApply(
        (code, amount) -> (code, toString(amount)),
        arrayReduce('sumMap', arrayMap(opportunity -> map(opportunity.1, opportunity.2), open_opportunities))
    ) AS pipeline
FROM
(
    SELECT
        count() OVER () AS matching_rows,
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
        groupArrayIf((won_currency, won_amount), won_at IS NOT NULL) AS won_deals,
        groupArrayIf((currency, opportunity_amount), opportunity_open) AS open_opportunities
    FROM {{lead_funnel}}
    WHERE captured_at >= {captured_from:DateTime64(3, 'UTC')}
      AND captured_at < {captured_to:DateTime64(3, 'UTC')}
      AND ({account:Nullable(String)} IS NULL OR ifNull(account_id, '') = {account:Nullable(String)})
    GROUP BY account
    ORDER BY account
    LIMIT {limit:UInt32} OFFSET {offset:UInt64}
) AS accounts
ORDER BY account
