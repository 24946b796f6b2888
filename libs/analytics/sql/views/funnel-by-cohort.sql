-- Funnel by capture cohort: the shared funnel's counts per capture week or month.
--
-- Grain: one row per cohort (the Monday of the capture week, or the first day of the capture
-- month, in the reporting time zone: the rule set's dictionary, UTC by default) that has at least one lead captured in [captured_from, captured_to), in cohort
-- order. Counts are leads of the cohort that EVER reached the stage, whenever that happened
-- (a January lead won in March counts in January's won). won_revenue per currency as in the
-- lenses. Summing a column over all rows gives the shared funnel's count for the same window
-- (summed over both paths). sales_sourced: of handed_to_sales, the leads that entered sales
-- directly, never MQLs (ADR 0008), so mql >= handed_to_sales - sales_sourced.
--
-- Parameters: db Identifier, grain String ('week' or 'month', validated by the caller),
-- time_zone String (the rule set's reporting time zone; analyst views read it from rule_sets),
-- captured_from / captured_to DateTime64(3, 'UTC').
-- Reads the lead-funnel fragment (views/_lead-funnel.sql), so it also binds rules_version, definition_hash,
-- sla_ms and as_of — the rule set the numbers are computed under and the business time they are as of.
SELECT
    -- The Monday or first day of the capture's local date, as a Date32: toStartOfWeek and
    -- toStartOfMonth answer a Date, which holds nothing before 1970, so a lead captured in 1900
    -- (business time reaches back to 1900) would have fallen into January 1970's cohort.
    if(
        {grain:String} = 'week',
        subtractDays(toDate32(toTimeZone(captured_at, {time_zone:String})), toDayOfWeek(captured_at, 0, {time_zone:String}) - 1),
        subtractDays(toDate32(toTimeZone(captured_at, {time_zone:String})), toDayOfMonth(captured_at, {time_zone:String}) - 1)
    ) AS cohort,
    count() AS captured,
    countIf(mql_at IS NOT NULL) AS mql,
    countIf(handed_at IS NOT NULL) AS handed_to_sales,
    countIf(path = 'sales_sourced') AS sales_sourced,
    countIf(accepted_at IS NOT NULL) AS accepted,
    countIf(rejected_at IS NOT NULL) AS rejected,
    countIf(sql_at IS NOT NULL) AS sql,
    countIf(opportunity_at IS NOT NULL) AS opportunity,
    countIf(won_at IS NOT NULL) AS won,
    countIf(lost_at IS NOT NULL) AS lost,
    mapApply(
        (code, amount) -> (code, toString(amount)),
        sumMapIf(map(won_currency, won_amount), won_at IS NOT NULL)
    ) AS won_revenue
FROM {{lead_funnel}}
WHERE captured_at >= {captured_from:DateTime64(3, 'UTC')}
  AND captured_at < {captured_to:DateTime64(3, 'UTC')}
GROUP BY cohort
ORDER BY cohort
