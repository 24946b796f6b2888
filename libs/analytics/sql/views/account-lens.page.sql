-- One page of the account lens (account-lens.sql, in place of the page_rows marker) for the
-- API: the account filter and the paging done here, so a request ships one page of accounts.
--
-- Order: account, as account-lens.sql; one row per account, so the order is total and pages
-- neither overlap nor skip.
-- matching_rows: every row the filter keeps, counted before LIMIT (0 rows on a page past the
-- end: the caller asks again for the first page to learn the total).
--
-- Parameters: those of account-lens.sql, plus account Nullable(String) (NULL: no filter;
-- otherwise the exact, case-sensitive value), limit UInt32, offset UInt64.
SELECT
    count() OVER () AS matching_rows,
    *
FROM {{page_rows}} AS accounts
WHERE {account:Nullable(String)} IS NULL OR accounts.account = {account:Nullable(String)}
ORDER BY accounts.account
LIMIT {limit:UInt32} OFFSET {offset:UInt64}
