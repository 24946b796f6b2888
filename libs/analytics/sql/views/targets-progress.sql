-- Targets progress: every current target (targets FINAL) beside the actual for its period.
--
-- Grain: one row per (team, metric, period, owner) target, ordered by those columns. owner ''
-- is a team-wide target; otherwise only leads whose latest hand-off went to that owner count.
-- Actuals are by EVENT time (the first time each lead reached the stage fell inside the
-- period, by its date in the reporting time zone {time_zone}), not by capture cohort. A
-- `YYYY-MM` period is that month; a `YYYY-Qn` period is a quarter of fiscal year YYYY, which
-- starts in month {fiscal_start_month} of YYYY (1 = January: calendar quarters, as stored in
-- period_start / period_end; 4 = April: 2025-Q1 is April-June 2025).
--   leads: captured_at   mqls: mql_at   sqls: sql_at   opportunities: opportunity_at
--   won_deals: won_at    won_revenue: DealWon amounts of leads won in the period
--   pipeline: open opportunity amounts of opportunities opened in the period
-- actual_count is NULL for the money metrics; actual_amount is per currency (empty for counts).
-- progress = actual / target, rounded to 4 places; for money only when the actual is in one
-- currency (targets carry no currency and there is no FX); NULL when the target is 0.
--
-- Parameters: db Identifier, time_zone String (an IANA name), fiscal_start_month UInt8 (1-12):
-- the rule set's reporting calendar, bound by the API from its dictionary.
-- Reads the lead-funnel fragment (views/_lead-funnel.sql), so it also binds rules_version, definition_hash,
-- sla_ms and as_of — the rule set the numbers are computed under and the business time they are as of.
SELECT
    team,
    metric,
    period,
    owner,
    toString(target_value) AS target,
    if(money, NULL, actual_leads) AS actual_count,
    mapApply((code, amount) -> (code, toString(amount)), actual_money) AS actual_amount,
    multiIf(
        target_value = 0, NULL,
        NOT money, round(toFloat64(actual_leads) / toFloat64(target_value), 4),
        length(mapKeys(actual_money)) = 1, round(toFloat64(mapValues(actual_money)[1]) / toFloat64(target_value), 4),
        length(mapKeys(actual_money)) = 0, 0,
        NULL
    ) AS progress
FROM
(
    SELECT
        t.team AS team,
        t.metric AS metric,
        t.period AS period,
        t.owner AS owner,
        any(t.value) AS target_value,
        t.metric IN ('won_revenue', 'pipeline') AS money,
        countIf(
            multiIf(
                t.metric = 'leads', f.captured_at,
                t.metric = 'mqls', f.mql_at,
                t.metric = 'sqls', f.sql_at,
                t.metric = 'opportunities', f.opportunity_at,
                t.metric = 'won_deals', f.won_at,
                NULL
            ) AS at IS NOT NULL
            AND toDate32(toTimeZone(at, {time_zone:String})) >= t.fiscal_start AND toDate32(toTimeZone(at, {time_zone:String})) < t.fiscal_end
            AND (t.owner = '' OR f.owner = t.owner)
        ) AS actual_leads,
        mapFilter(
            (code, amount) -> amount != 0,
            sumMapIf(
                if(t.metric = 'won_revenue', map(f.won_currency, f.won_amount), map(f.currency, f.opportunity_amount)),
                (t.owner = '' OR f.owner = t.owner)
                AND (
                    (t.metric = 'won_revenue' AND f.won_at IS NOT NULL
                        AND toDate32(toTimeZone(f.won_at, {time_zone:String})) >= t.fiscal_start AND toDate32(toTimeZone(f.won_at, {time_zone:String})) < t.fiscal_end)
                    OR (t.metric = 'pipeline' AND f.opportunity_open
                        AND toDate32(toTimeZone(f.opportunity_at, {time_zone:String})) >= t.fiscal_start AND toDate32(toTimeZone(f.opportunity_at, {time_zone:String})) < t.fiscal_end)
                )
            )
        ) AS actual_money
    FROM
    (
        -- Calendar quarters as stored, moved to the fiscal year's start (months are months).
        SELECT
            *,
            if(
                match(period, '^[0-9]{4}-Q[1-4]$'),
                addMonths(period_start, {fiscal_start_month:UInt8} - 1),
                period_start
            ) AS fiscal_start,
            if(
                match(period, '^[0-9]{4}-Q[1-4]$'),
                addMonths(period_end, {fiscal_start_month:UInt8} - 1),
                period_end
            ) AS fiscal_end
        FROM {db:Identifier}.targets FINAL
    ) AS t
    CROSS JOIN {{lead_funnel}} AS f
    GROUP BY t.team, t.metric, t.period, t.owner
)
ORDER BY team, metric, period, owner
