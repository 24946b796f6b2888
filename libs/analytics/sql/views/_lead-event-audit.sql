-- The reconciliation's event witness, one row per lead and cut: what the lead's events and one
-- rule set's lead_rule_facts say, counted without the views' per-lead fold (lead_state, the
-- funnel or its snapshot): the event types a lead has as lead_event_summary keeps them
-- (migrations 0025–0027: the types with their last position, its MQL decisions' versions, its
-- first hand-offs, its wins), and, for a lead with an event after {covered}, its rows of
-- lead_events up to {covered}. Not a query of its own: where rule-set-audit.sql says the
-- event_audit marker, these rows go in (every lead's), or the rows kept for a snapshot
-- (_lead-event-audit-kept.sql) with these rows of the leads changed since put back
-- (_lead-event-audit-changes.sql); the kept rows themselves are these rows at the snapshot's
-- position (lead_event_audits, 0032).
--
-- Grain: one row per (lead, cut) of lead_event_summary, or of the leads the audited_leads marker
-- keeps (nothing: every lead; _lead-event-audit-changed.sql: the leads changed since a position,
-- bound).
--   cut               which checks count the row: 'both' (a lead with no event after {covered}:
--                     the checks cut at {covered} and those of every event), 'events' (every
--                     event of a lead with some after {covered}: the stage counts and event
--                     totals only) or 'covered' (its events up to {covered}: the lead audit only);
--   facts             the lead's lead_rule_facts row for the set: 'not_needed' (no rule-input
--                     event in the row's events), 'missing', 'stale' (last_position below the
--                     lead's last rule-input position) or 'ok';
--   in_cohort         not qualified live under another version only: the set's version
--                     recorded this lead's path (a lead never qualified live counts too);
--   recorded_for_set  qualified live under the set's version ({recorded_version}: 0, which no
--                     decision carries, for a what-if shadow);
--   sales_sourced     entered sales on the sales-sourced path (first hand-off, ADR 0008): the
--                     checks of an MQL do not apply to it;
--   captured          has a LeadCaptured (the views see only captured leads);
--   mql .. lost       stages ever reached: mql as the set says (lead_rule_facts), the others
--                     from their events;
--   leads             1 (rule-set-audit.sql sums it: kept rows carry counts);
--   won_revenue       currency -> sum of the lead's DealWon amounts, each event once.
--
-- Parameters: db Identifier, rules_version UInt32, definition_hash String,
-- recorded_version UInt32, covered UInt64, rule_input_types String (the types the rules read,
-- comma-separated: RULE_INPUT_TYPES of rule-facts.ts); with the cut, its own.
SELECT
    events.lead_id AS lead_id,
    events.cut AS cut,
    multiIf(
        events.last_rule_input IS NULL, 'not_needed',
        rule.found = 0, 'missing',
        rule.last_position < events.last_rule_input, 'stale',
        'ok'
    ) AS facts,
    toBool(events.decisions = 0 OR events.decisions_for_set > 0) AS in_cohort,
    toBool(events.decisions_for_set > 0) AS recorded_for_set,
    toBool(events.sales_sourced) AS sales_sourced,
    toBool(events.captured) AS captured,
    toBool(rule.found = 1 AND rule.mql) AS mql,
    toBool(events.handed_to_sales) AS handed_to_sales,
    toBool(events.accepted) AS accepted,
    toBool(events.rejected) AS rejected,
    toBool(events.sql) AS sql,
    toBool(events.opportunity) AS opportunity,
    toBool(events.won) AS won,
    toBool(events.lost) AS lost,
    toInt64(1) AS leads,
    events.won_revenue AS won_revenue
FROM
(
    -- Every lead's summary row: its events up to {covered} when it has none after it ('both'),
    -- else every event of it, for the checks that count every event ('events').
    SELECT
        lead_id,
        if(last_position <= {covered:UInt64}, 'both', 'events') AS cut,
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
        has(type_positions.1, 'LeadCaptured') AS captured,
        has(type_positions.1, 'LeadHandedToSales') AS handed_to_sales,
        has(type_positions.1, 'LeadAcceptedBySales') AS accepted,
        has(type_positions.1, 'LeadRejectedBySales') AS rejected,
        has(type_positions.1, 'LeadQualifiedAsSql') AS sql,
        has(type_positions.1, 'OpportunityOpened') AS opportunity,
        has(type_positions.1, 'DealWon') AS won,
        has(type_positions.1, 'DealLost') AS lost,
        ifNull(sales_sourced_at <= handed_at, false) AS sales_sourced,
        mapFromArrays(
            arrayDistinct(arrayMap(win -> win.2, wins)) AS codes,
            arrayMap(code -> arraySum(arrayMap(win -> if(win.2 = code, win.3, toDecimal128(0, 4)), wins)), codes)
        ) AS won_revenue
    FROM {db:Identifier}.lead_event_summary FINAL
    WHERE true
      {{audited_leads}}
    UNION ALL
    -- Leads with events after {covered} (a batch being projected): their events up to it,
    -- read from lead_events by key (the few leads of that batch). Duplicates of an event
    -- change no column (max, min, "at least one", each DealWon once by event_id).
    SELECT
        lead_id,
        'covered' AS cut,
        maxIfOrNull(global_position, has(splitByChar(',', {rule_input_types:String}), type)) AS last_rule_input,
        countIf(type = 'LeadQualifiedAsMql') AS decisions,
        countIf(
            type = 'LeadQualifiedAsMql'
            AND JSONExtractUInt(data, 'rulesVersion') = {recorded_version:UInt32}
        ) AS decisions_for_set,
        countIf(type = 'LeadCaptured') > 0 AS captured,
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
        ) AS sales_sourced,
        mapFromArrays(
            arrayDistinct(arrayMap(win -> win.2, groupUniqArrayIf(
                tuple(event_id, JSONExtractString(data, 'currency'), JSONExtract(data, 'amount', 'Decimal(38, 4)')),
                type = 'DealWon'
            ) AS wins)) AS codes,
            arrayMap(code -> arraySum(arrayMap(win -> if(win.2 = code, win.3, toDecimal128(0, 4)), wins)), codes)
        ) AS won_revenue
    FROM {db:Identifier}.lead_events
    WHERE global_position <= {covered:UInt64}
      AND lead_id IN (
          -- A lead's summary rows reach past {covered} exactly when its merged row does (max).
          SELECT lead_id FROM {db:Identifier}.lead_event_summary
          WHERE last_position > {covered:UInt64}
            {{audited_leads}}
      )
    GROUP BY lead_id
) AS events
LEFT JOIN
(
    SELECT lead_id, toUInt8(1) AS found, mql, last_position
    FROM {db:Identifier}.lead_rule_facts FINAL
    WHERE rules_version = {rules_version:UInt32}
      AND definition_hash = {definition_hash:String}
      {{audited_leads}}
) AS rule ON rule.lead_id = events.lead_id
