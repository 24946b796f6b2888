-- The per-lead funnel under one rule set, as of one business time: what every view reads.
-- Not a query of its own: AnalyticsQueries puts it, in parentheses, where a view file says
-- the lead_funnel marker (the only text it ever substitutes; parameters stay bound parameters).
--
-- Grain: one row per lead with at least one event that occurred up to as_of.
--
-- Facts per lead come from the lead_folds marker: the maintained per-lead state
-- (_lead-state.sql, all time) or, for a view asked "as of" a business time, the fold of the
-- events that occurred up to {as_of} (_lead-fold-as-of.sql). Rule-derived columns come from the rule set (rules_version, definition_hash):
--   mql_at      the lead's MQL moment under that set's rules (lead_rule_facts), if by as_of;
--   sla_due_at  the latest hand-off plus that set's SLA (sla_ms); a hand-off recorded live under
--               the set's own version keeps the due time it was given (recorded_version is the
--               version for a published set, 0 — no version — for a what-if shadow);
--   fit_score, intent_score, score: the set's scores (0 for a lead it has no row for yet).
-- What was decided live stays visible as recorded_mql_at and recorded_sla_due_at.
--   path        how the lead entered sales (ADR 0008): 'sales_sourced' when its first hand-off
--               was sales-sourced (a tie in business time counts as sales-sourced), else
--               'marketing' (never handed over, or handed over as an MQL). A sales-sourced lead
--               has no mql_at, whatever the set's rules say of its facts: it reached sales on a
--               path of its own, so every stage count stays monotonic within each path.
--
-- Parameters: db Identifier, rules_version UInt32, definition_hash String, sla_ms UInt64,
-- recorded_version UInt32, as_of DateTime64(3, 'UTC').
SELECT
    facts.* EXCEPT (last_handed_at, handed_rules_version, sales_sourced_at),
    if(
        facts.sales_sourced_at IS NOT NULL AND facts.sales_sourced_at <= facts.handed_at,
        'sales_sourced',
        'marketing'
    ) AS path,
    if(
        path = 'marketing' AND rule.mql AND rule.mql_at <= {as_of:DateTime64(3, 'UTC')},
        rule.mql_at,
        NULL
    ) AS mql_at,
    if(
        facts.handed_rules_version = {recorded_version:UInt32},
        facts.recorded_sla_due_at,
        facts.last_handed_at + toIntervalMillisecond({sla_ms:UInt64})
    ) AS sla_due_at,
    rule.fit_score AS fit_score,
    rule.intent_score AS intent_score,
    rule.score AS score
FROM {{lead_folds}} AS facts
LEFT JOIN
(
    SELECT lead_id, mql, mql_at, fit_score, intent_score, score
    FROM {db:Identifier}.lead_rule_facts FINAL
    WHERE rules_version = {rules_version:UInt32}
      AND definition_hash = {definition_hash:String}
) AS rule ON rule.lead_id = facts.lead_id
