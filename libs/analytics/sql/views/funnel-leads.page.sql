-- One page of the drill-down for the API: the row filters and the paging done here, so a request
-- ships one page, not every lead. It cuts the unformatted rows (funnel-leads.rows.sql, in place of
-- the page_rows marker) and stands in funnel-leads.sql's view_rows marker, so only the page's stage
-- times are written as text.
--
-- Order: capture time then lead id, as funnel-leads.sql. lead_id is unique per row, so the
-- order is total and pages neither overlap nor skip. captured_at is compared as the time
-- (DateTime64), the order its fixed-width ISO-8601 UTC text in funnel-leads.sql has too.
-- matching_rows: every row the filters keep, counted before LIMIT (0 rows on a page past the
-- end: the caller asks again for the first page to learn the total).
--
-- Parameters: those of funnel-leads.sql, plus channel / campaign / owner Nullable(String) (NULL:
-- no filter; otherwise the exact, case-sensitive value), limit UInt32, offset UInt64.
SELECT
    count() OVER () AS matching_rows,
    *
FROM {{page_rows}} AS leads
WHERE ({channel:Nullable(String)} IS NULL OR leads.channel = {channel:Nullable(String)})
  AND ({campaign:Nullable(String)} IS NULL OR leads.campaign = {campaign:Nullable(String)})
  AND ({owner:Nullable(String)} IS NULL OR leads.owner = {owner:Nullable(String)})
ORDER BY leads.captured_at, leads.lead_id
LIMIT {limit:UInt32} OFFSET {offset:UInt64}
