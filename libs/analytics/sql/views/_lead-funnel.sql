-- The per-lead funnel under one rule set, as of one business time: what every view reads.
-- Not a query of its own: AnalyticsQueries puts it, in parentheses, where a view file says
-- the lead_funnel marker (the only text it ever substitutes; parameters stay bound parameters).
--
-- Grain: one row per lead with at least one event that occurred up to as_of.
--
-- Facts are folded exactly as lead_facts does (see migrations/0003: same columns, same
-- "ever reached" and "latest by global_position" rules), over the events that occurred up to
-- {as_of}. Rule-derived columns come from the rule set (rules_version, definition_hash):
--   mql_at      the lead's MQL moment under that set's rules (lead_rule_facts), if by as_of;
--   sla_due_at  the latest hand-off plus that set's SLA (sla_ms); a hand-off recorded live under
--               the set's own version keeps the due time it was given (recorded_version is the
--               version for a published set, 0 — no version — for a what-if shadow);
--   fit_score, intent_score, score: the set's scores (0 for a lead it has no row for yet).
-- What was decided live stays visible as recorded_mql_at and recorded_sla_due_at.
--
-- Parameters: db Identifier, rules_version UInt32, definition_hash String, sla_ms UInt64,
-- recorded_version UInt32, as_of DateTime64(3, 'UTC').
SELECT
    facts.* EXCEPT (last_handed_at, handed_rules_version),
    if(rule.mql AND rule.mql_at <= {as_of:DateTime64(3, 'UTC')}, rule.mql_at, NULL) AS mql_at,
    if(
        facts.handed_rules_version = {recorded_version:UInt32},
        facts.recorded_sla_due_at,
        facts.last_handed_at + toIntervalMillisecond({sla_ms:UInt64})
    ) AS sla_due_at,
    rule.fit_score AS fit_score,
    rule.intent_score AS intent_score,
    rule.score AS score
FROM
(
    SELECT
        lead_id,
        argMaxIf(account_id, global_position, account_id IS NOT NULL) AS account_id,

        minIfOrNull(occurred_at, type = 'LeadCaptured') AS captured_at,
        argMaxIf(JSONExtractString(data, 'source', 'channel'), global_position, type = 'LeadCaptured') AS channel,
        argMaxIf(JSONExtractString(data, 'source', 'campaign'), global_position, type = 'LeadCaptured') AS campaign,
        argMaxIf(JSONExtractString(data, 'source', 'medium'), global_position, type = 'LeadCaptured') AS medium,
        argMaxIf(JSONExtractString(data, 'source', 'content'), global_position, type = 'LeadCaptured') AS content,

        minIfOrNull(occurred_at, type = 'LeadQualifiedAsMql') AS recorded_mql_at,

        minIfOrNull(occurred_at, type = 'LeadHandedToSales') AS handed_at,
        argMaxIf(JSONExtractString(data, 'owner'), global_position, type = 'LeadHandedToSales') AS owner,
        argMaxIf(JSONExtractString(data, 'team'), global_position, type = 'LeadHandedToSales') AS team,
        argMaxIf(
            parseDateTime64BestEffortOrNull(JSONExtractString(data, 'slaDueAt'), 3, 'UTC'),
            global_position,
            type = 'LeadHandedToSales'
        ) AS recorded_sla_due_at,
        maxIfOrNull(occurred_at, type = 'LeadHandedToSales') AS last_handed_at,
    argMaxIf(JSONExtractUInt(data, 'rulesVersion'), global_position, type = 'LeadHandedToSales') AS handed_rules_version,

        minIfOrNull(occurred_at, type = 'LeadAcceptedBySales') AS accepted_at,
        minIfOrNull(occurred_at, type = 'LeadRejectedBySales') AS rejected_at,
        argMaxIf(JSONExtractString(data, 'reason'), global_position, type = 'LeadRejectedBySales') AS rejection_reason,

        minIfOrNull(occurred_at, type = 'LeadQualifiedAsSql') AS sql_at,

        minIfOrNull(occurred_at, type = 'OpportunityOpened') AS opportunity_at,
        argMaxIf(JSONExtractString(data, 'opportunityId'), global_position, type = 'OpportunityOpened') AS opportunity_id,
        -- A lead has at most one open opportunity at a time (a new one opens only after recycling),
        -- so the latest amount among opportunity events is the current opportunity's amount.
        argMaxIf(
            JSONExtract(data, 'amount', 'Decimal(38, 4)'),
            global_position,
            type IN ('OpportunityOpened', 'OpportunityStageChanged')
        ) AS opportunity_amount,
        argMaxIf(JSONExtractString(data, 'currency'), global_position, type = 'OpportunityOpened') AS currency,
        -- Open = the latest OpportunityOpened comes after every event that ends an opportunity's
        -- chance to close (won, lost, recycled, merged away, erased). Comparing NULL yields NULL:
        -- the coalesce makes "opened and nothing closed it" true and "never opened" false.
        toBool(coalesce(
            maxIfOrNull(global_position, type = 'OpportunityOpened')
                > maxIfOrNull(global_position, type IN ('DealWon', 'DealLost', 'LeadRecycled', 'LeadMerged', 'LeadErased')),
            maxIfOrNull(global_position, type = 'OpportunityOpened') IS NOT NULL
        )) AS opportunity_open,

        minIfOrNull(occurred_at, type = 'DealWon') AS won_at,
        argMaxIf(JSONExtract(data, 'amount', 'Decimal(38, 4)'), global_position, type = 'DealWon') AS won_amount,
        argMaxIf(JSONExtractString(data, 'currency'), global_position, type = 'DealWon') AS won_currency,
        minIfOrNull(occurred_at, type = 'DealLost') AS lost_at,
        argMaxIf(JSONExtractString(data, 'reason'), global_position, type = 'DealLost') AS loss_reason,

        toUInt32(countIf(type = 'LeadRecycled')) AS recycled_count,
        argMaxIf(JSONExtractString(data, 'intoLeadId'), global_position, type = 'LeadMerged') AS merged_into,
        toBool(countIf(type = 'LeadErased') > 0) AS erased,

        toUInt32(count()) AS event_count,
        max(global_position) AS last_position
    FROM {db:Identifier}.lead_events FINAL
    WHERE occurred_at <= {as_of:DateTime64(3, 'UTC')}
    GROUP BY lead_id
) AS facts
LEFT JOIN
(
    SELECT lead_id, mql, mql_at, fit_score, intent_score, score
    FROM {db:Identifier}.lead_rule_facts FINAL
    WHERE rules_version = {rules_version:UInt32}
      AND definition_hash = {definition_hash:String}
) AS rule ON rule.lead_id = facts.lead_id
