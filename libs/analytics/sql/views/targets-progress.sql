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
-- Its rows (the leads' moments per metric, day, owner and currency) are targets-progress.rows.sql,
-- in place of the view_rows marker, which reads the lead-funnel fragment (views/_lead-funnel.sql),
-- so it also binds rules_version, definition_hash, sla_ms and as_of — the rule set the numbers are
-- computed under and the business time they are as of.
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
        sumIf(
            f.leads,
            f.fact_metric = t.metric AND NOT money
            AND f.fact_day >= t.fiscal_start AND f.fact_day < t.fiscal_end
            AND (t.owner = '' OR f.fact_owner = t.owner)
        ) AS actual_leads,
        mapFilter(
            (code, amount) -> amount != 0,
            sumMapIf(
                map(f.fact_currency, f.amount),
                f.fact_metric = t.metric AND money
                AND f.fact_day >= t.fiscal_start AND f.fact_day < t.fiscal_end
                AND (t.owner = '' OR f.fact_owner = t.owner)
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
            ) AS fiscal_end,
            '' AS any_lead
        FROM {db:Identifier}.targets FINAL
    ) AS t
    -- The leads' moments per metric, summed per (metric, day, owner, currency) first: a few
    -- thousand rows (targets-progress.rows.sql, or for "now" targets-progress.rollup.sql from
    -- the day rollup of the funnel's snapshot), where joining every target with every lead made
    -- targets x leads rows. The one row of metric '' exists when the funnel has a lead: a
    -- target matches it, so targets are listed once there is at least one lead, whatever their
    -- metric's actuals.
    INNER JOIN {{view_rows}} AS f ON f.fact_metric = t.metric OR f.fact_metric = t.any_lead
    GROUP BY t.team, t.metric, t.period, t.owner
)
ORDER BY team, metric, period, owner
