-- Rule-set stage counts: each funnel stage counted twice under one rule set, in one query (one
-- read of the tables, so a batch landing meanwhile cannot split the two): as the views count it
-- (the per-lead funnel fragment every view reads, as shared-funnel.sql counts it, all time) and
-- from the events (lead_rule_facts for MQL), without the fragment: the event types each lead
-- has, as lead_event_summary (migrations 0025–0027) keeps them, not the views' per-lead fold.
--
-- Grain: one row. Both sides count captured leads only (the views cannot see a lead without a
-- LeadCaptured; event-totals.sql and the lens reconciliation catch those). A stage is reached
-- when the lead has at least one event of its type, MQL when the set's row says so.
--
-- Parameters: db Identifier, rules_version UInt32, definition_hash String; the fragment also
-- binds sla_ms, recorded_version and as_of (the end of time here).
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
    raw.captured AS events_captured,
    raw.mql AS events_mql,
    raw.handed_to_sales AS events_handed_to_sales,
    raw.accepted AS events_accepted,
    raw.rejected AS events_rejected,
    raw.sql AS events_sql,
    raw.opportunity AS events_opportunity,
    raw.won AS events_won,
    raw.lost AS events_lost
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
CROSS JOIN
(
    SELECT
        count() AS captured,
        countIf(rule.found = 1 AND rule.mql) AS mql,
        countIf(events.handed_to_sales) AS handed_to_sales,
        countIf(events.accepted) AS accepted,
        countIf(events.rejected) AS rejected,
        countIf(events.sql) AS sql,
        countIf(events.opportunity) AS opportunity,
        countIf(events.won) AS won,
        countIf(events.lost) AS lost
    FROM
    (
        SELECT
            lead_id,
            has(type_positions.1, 'LeadHandedToSales') AS handed_to_sales,
            has(type_positions.1, 'LeadAcceptedBySales') AS accepted,
            has(type_positions.1, 'LeadRejectedBySales') AS rejected,
            has(type_positions.1, 'LeadQualifiedAsSql') AS sql,
            has(type_positions.1, 'OpportunityOpened') AS opportunity,
            has(type_positions.1, 'DealWon') AS won,
            has(type_positions.1, 'DealLost') AS lost
        FROM {db:Identifier}.lead_event_summary FINAL
        WHERE has(type_positions.1, 'LeadCaptured')
    ) AS events
    LEFT JOIN
    (
        SELECT lead_id, toUInt8(1) AS found, mql
        FROM {db:Identifier}.lead_rule_facts FINAL
        WHERE rules_version = {rules_version:UInt32}
          AND definition_hash = {definition_hash:String}
    ) AS rule ON rule.lead_id = events.lead_id
) AS raw
