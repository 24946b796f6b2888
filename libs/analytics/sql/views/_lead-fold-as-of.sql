-- The per-lead fold of lead_events as of one business time: every event that occurred up to
-- {as_of}, read FINAL. Not a query of its own: _lead-funnel.sql puts it where it says
-- lead_folds when a view is asked "as of" a date. Without asOf the views read lead_state
-- instead (_lead-state.sql), the same fold kept up to date by ClickHouse (migrations 0009–0010);
-- the columns, their types and their meaning are the same, and a test checks that both agree.
--
-- Stage semantics: *ever reached* (first time, min occurred_at); attributes that can change
-- (owner, team, reasons, amounts) are the latest by global_position.
--
-- Parameters: db Identifier, as_of DateTime64(3, 'UTC').
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
    minIfOrNull(
        occurred_at,
        type = 'LeadHandedToSales' AND JSONExtractString(data, 'path') = 'sales_sourced'
    ) AS sales_sourced_at,
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

    max(global_position) AS last_position,

    maxIf(global_position, type = 'LeadHandedToSales') AS handed_position,
    arraySort(groupArrayIf(
        tuple(global_position, occurred_at, toString(type)),
        type IN ('LeadAcceptedBySales', 'LeadRejectedBySales')
    )) AS responses,
    arraySort(t -> (t.1, t.2), groupArrayIf(
        tuple(
            occurred_at,
            global_position,
            if(type = 'LeadCaptured', JSONExtractString(data, 'source', 'channel'), JSONExtractString(data, 'channel')),
            if(type = 'LeadCaptured', JSONExtractString(data, 'source', 'campaign'), JSONExtractString(data, 'campaign'))
        ),
        type = 'LeadCaptured'
            OR (type = 'TouchpointRecorded'
                AND (JSONExtractString(data, 'channel') != '' OR JSONExtractString(data, 'campaign') != ''))
    )) AS touch_path
FROM {db:Identifier}.lead_events FINAL
WHERE occurred_at <= {as_of:DateTime64(3, 'UTC')}
GROUP BY lead_id
