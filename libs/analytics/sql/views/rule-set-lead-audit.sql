-- Rule-set lead audit: the reconciliation's per-lead witness for one kept rule set, counted from
-- the events and lead_rule_facts (no per-lead fold shared with the views): a lead's events as
-- lead_event_summary keeps them (migrations 0025–0027: the types it has with their last
-- position, its MQL decisions' versions, its first hand-offs), or, for a lead with an event
-- after {covered}, its rows of lead_events up to {covered}.
--
-- Grain: one row per group of leads that look alike to the checks (reconciliation/
-- rule-set-findings.ts), with how many leads are in it; at most a few hundred rows whatever
-- the history. Only events up to {covered} (the projection checkpoint) are read: the projector
-- writes the checkpoint after the rule-derived rows of everything it covers, so a batch being
-- projected right now is never mistaken for a gap.
--
--   facts             the lead's lead_rule_facts row for the set: 'not_needed' (no rule-input
--                     event up to covered), 'missing', 'stale' (last_position below the lead's
--                     last rule-input position) or 'ok';
--   in_cohort         not qualified live under another version only: the set's version
--                     recorded this lead's path (a lead never qualified live counts too);
--   recorded_for_set  qualified live under the set's version ({recorded_version}: 0, which no
--                     decision carries, for a what-if shadow);
--   sales_sourced     entered sales on the sales-sourced path (first hand-off, ADR 0008): the
--                     checks of an MQL do not apply to it;
--   mql .. lost       stages ever reached: mql as the set says (lead_rule_facts), the others
--                     from their events.
--
-- Parameters: db Identifier, rules_version UInt32, definition_hash String,
-- recorded_version UInt32, covered UInt64, rule_input_types String (the types the rules read,
-- comma-separated: RULE_INPUT_TYPES of rule-facts.ts).
SELECT
    facts,
    in_cohort,
    recorded_for_set,
    sales_sourced,
    mql,
    handed_to_sales,
    accepted,
    rejected,
    sql,
    opportunity,
    won,
    lost,
    count() AS leads
FROM
(
    SELECT
        multiIf(
            events.last_rule_input IS NULL, 'not_needed',
            rule.found = 0, 'missing',
            rule.last_position < events.last_rule_input, 'stale',
            'ok'
        ) AS facts,
        events.decisions = 0 OR events.decisions_for_set > 0 AS in_cohort,
        events.decisions_for_set > 0 AS recorded_for_set,
        events.sales_sourced AS sales_sourced,
        rule.found = 1 AND rule.mql AS mql,
        events.handed_to_sales AS handed_to_sales,
        events.accepted AS accepted,
        events.rejected AS rejected,
        events.sql AS sql,
        events.opportunity AS opportunity,
        events.won AS won,
        events.lost AS lost
    FROM
    (
        -- Leads with no event after {covered}: their summary row is their events up to it.
        SELECT
            lead_id,
            nullIf(
                arrayMax(arrayMap(
                    (type, position) -> if(has(splitByChar(',', {rule_input_types:String}), type), position, 0),
                    type_positions.1,
                    type_positions.2
                )),
                0
            ) AS last_rule_input,
            toUInt64(has(type_positions.1, 'LeadQualifiedAsMql')) AS decisions,
            toUInt64(has(mql_versions, {recorded_version:UInt32})) AS decisions_for_set,
            has(type_positions.1, 'LeadHandedToSales') AS handed_to_sales,
            has(type_positions.1, 'LeadAcceptedBySales') AS accepted,
            has(type_positions.1, 'LeadRejectedBySales') AS rejected,
            has(type_positions.1, 'LeadQualifiedAsSql') AS sql,
            has(type_positions.1, 'OpportunityOpened') AS opportunity,
            has(type_positions.1, 'DealWon') AS won,
            has(type_positions.1, 'DealLost') AS lost,
            ifNull(sales_sourced_at <= handed_at, false) AS sales_sourced
        FROM {db:Identifier}.lead_event_summary FINAL
        WHERE last_position <= {covered:UInt64}
        UNION ALL
        -- Leads with events after {covered} (a batch being projected): their events up to it,
        -- read from lead_events by key (the few leads of that batch). Duplicates of an event
        -- change no column (max, min, "at least one").
        SELECT
            lead_id,
            maxIfOrNull(global_position, has(splitByChar(',', {rule_input_types:String}), type)) AS last_rule_input,
            countIf(type = 'LeadQualifiedAsMql') AS decisions,
            countIf(
                type = 'LeadQualifiedAsMql'
                AND JSONExtractUInt(data, 'rulesVersion') = {recorded_version:UInt32}
            ) AS decisions_for_set,
            countIf(type = 'LeadHandedToSales') > 0 AS handed_to_sales,
            countIf(type = 'LeadAcceptedBySales') > 0 AS accepted,
            countIf(type = 'LeadRejectedBySales') > 0 AS rejected,
            countIf(type = 'LeadQualifiedAsSql') > 0 AS sql,
            countIf(type = 'OpportunityOpened') > 0 AS opportunity,
            countIf(type = 'DealWon') > 0 AS won,
            countIf(type = 'DealLost') > 0 AS lost,
            -- The path as _lead-funnel.sql derives it: the first hand-off was sales-sourced.
            ifNull(
                minIfOrNull(occurred_at, type = 'LeadHandedToSales' AND JSONExtractString(data, 'path') = 'sales_sourced')
                    <= minIfOrNull(occurred_at, type = 'LeadHandedToSales'),
                false
            ) AS sales_sourced
        FROM {db:Identifier}.lead_events
        WHERE global_position <= {covered:UInt64}
          AND lead_id IN (
              SELECT lead_id FROM {db:Identifier}.lead_event_summary FINAL
              WHERE last_position > {covered:UInt64}
          )
        GROUP BY lead_id
    ) AS events
    LEFT JOIN
    (
        SELECT lead_id, toUInt8(1) AS found, mql, last_position
        FROM {db:Identifier}.lead_rule_facts FINAL
        WHERE rules_version = {rules_version:UInt32}
          AND definition_hash = {definition_hash:String}
    ) AS rule ON rule.lead_id = events.lead_id
)
GROUP BY facts, in_cohort, recorded_for_set, sales_sourced, mql, handed_to_sales, accepted, rejected, sql, opportunity, won, lost
ORDER BY facts, in_cohort, recorded_for_set, sales_sourced, mql, handed_to_sales, accepted, rejected, sql, opportunity, won, lost
