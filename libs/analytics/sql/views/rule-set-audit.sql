-- Rule-set audit: the reconciliation's check of one kept rule set against the events, in one
-- statement (one read of the tables: chDB runs one statement at a time, so a batch landing
-- meanwhile cannot split its parts):
--   view_*   each funnel stage as the views count it (the per-lead funnel fragment every view
--            reads, as shared-funnel.sql counts it, all time, captured leads);
--   witness  the event witness (_lead-event-audit.sql's rows over every lead, or those rows kept
--            at a snapshot's position with the leads changed since put back,
--            _lead-event-audit-kept.sql, in place of the event_audit marker) counted per
--            combination of its columns, without the views' per-lead fold: an array of
--            (cut, facts, in_cohort, recorded_for_set, sales_sourced, captured, mql,
--            handed_to_sales, accepted, rejected, sql, opportunity, won, lost, leads,
--            won_revenue) tuples, at most a few hundred whatever the history.
-- reconciliation/rule-set-audit.rows.ts reads from the witness the lead audit (the groups cut at
-- {covered}, the projection checkpoint: the projector writes it after the rule-derived rows of
-- everything it covers, so a batch being projected right now is never mistaken for a gap), the
-- stage counts from the events (every event; captured leads; MQL as the set's lead_rule_facts
-- says) and the event totals (every event; every lead, captured or not).
--
-- Grain: one row.
--
-- Parameters: db Identifier, rules_version UInt32, definition_hash String, recorded_version
-- UInt32; the funnel also binds sla_ms and as_of (the end of time here), the witness covered
-- and rule_input_types, and kept rows theirs.
SELECT
    views.captured AS view_captured,
    views.mql AS view_mql,
    views.handed_to_sales AS view_handed_to_sales,
    views.accepted AS view_accepted,
    views.rejected AS view_rejected,
    views.sql AS view_sql,
    views.opportunity AS view_opportunity,
    views.won AS view_won,
    views.lost AS view_lost,
    (
        SELECT groupArray(tuple(
            cut, facts, in_cohort, recorded_for_set, sales_sourced, captured, mql,
            handed_to_sales, accepted, rejected, sql, opportunity, won, lost, leads, won_revenue
        ))
        FROM
        (
            SELECT
                witness.cut AS cut,
                witness.facts AS facts,
                witness.in_cohort AS in_cohort,
                witness.recorded_for_set AS recorded_for_set,
                witness.sales_sourced AS sales_sourced,
                witness.captured AS captured,
                witness.mql AS mql,
                witness.handed_to_sales AS handed_to_sales,
                witness.accepted AS accepted,
                witness.rejected AS rejected,
                witness.sql AS sql,
                witness.opportunity AS opportunity,
                witness.won AS won,
                witness.lost AS lost,
                sum(witness.leads) AS leads,
                mapApply((code, amount) -> (code, toString(amount)), sumMap(witness.won_revenue)) AS won_revenue
            FROM {{event_audit}} AS witness
            GROUP BY cut, facts, in_cohort, recorded_for_set, sales_sourced, captured, mql,
                handed_to_sales, accepted, rejected, sql, opportunity, won, lost
            -- Kept rows taken out can leave a combination with no lead: not a group.
            HAVING leads != 0
            ORDER BY cut, facts, in_cohort, recorded_for_set, sales_sourced, captured, mql,
                handed_to_sales, accepted, rejected, sql, opportunity, won, lost
        )
    ) AS witness
FROM
(
    SELECT
        count() AS captured,
        countIf(mql_at IS NOT NULL) AS mql,
        countIf(handed_at IS NOT NULL) AS handed_to_sales,
        countIf(accepted_at IS NOT NULL) AS accepted,
        countIf(rejected_at IS NOT NULL) AS rejected,
        countIf(sql_at IS NOT NULL) AS sql,
        countIf(opportunity_at IS NOT NULL) AS opportunity,
        countIf(won_at IS NOT NULL) AS won,
        countIf(lost_at IS NOT NULL) AS lost
    FROM {{lead_funnel}}
    WHERE captured_at IS NOT NULL
) AS views
