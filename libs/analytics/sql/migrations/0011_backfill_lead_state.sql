-- Fills lead_state from the events projected before lead_state existed (an upgrade), with the
-- same fold as lead_state_mv. Events the view already folded while this ran fold again to the
-- same state: every aggregate is idempotent.
INSERT INTO {db:Identifier}.lead_state
SELECT
    lead_id,
    max(if(account_id IS NOT NULL, tuple(global_position, assumeNotNull(account_id)), tuple(toUInt64(0), ''))) AS account,
    minIfOrNull(occurred_at, type = 'LeadCaptured') AS captured_at,
    max(if(
        type = 'LeadCaptured',
        tuple(
            global_position,
            JSONExtractString(data, 'source', 'channel'),
            JSONExtractString(data, 'source', 'campaign'),
            JSONExtractString(data, 'source', 'medium'),
            JSONExtractString(data, 'source', 'content')
        ),
        tuple(toUInt64(0), '', '', '', '')
    )) AS source,
    minIfOrNull(occurred_at, type = 'LeadQualifiedAsMql') AS recorded_mql_at,
    minIfOrNull(occurred_at, type = 'LeadHandedToSales') AS handed_at,
    maxIfOrNull(occurred_at, type = 'LeadHandedToSales') AS last_handed_at,
    max(if(
        type = 'LeadHandedToSales',
        tuple(
            global_position,
            JSONExtractString(data, 'owner'),
            JSONExtractString(data, 'team'),
            JSONExtractString(data, 'slaDueAt'),
            JSONExtractUInt(data, 'rulesVersion')
        ),
        tuple(toUInt64(0), '', '', '', toUInt64(0))
    )) AS handoff,
    minIfOrNull(occurred_at, type = 'LeadAcceptedBySales') AS accepted_at,
    minIfOrNull(occurred_at, type = 'LeadRejectedBySales') AS rejected_at,
    max(if(type = 'LeadRejectedBySales', tuple(global_position, JSONExtractString(data, 'reason')), tuple(toUInt64(0), ''))) AS rejection,
    minIfOrNull(occurred_at, type = 'LeadQualifiedAsSql') AS sql_at,
    minIfOrNull(occurred_at, type = 'OpportunityOpened') AS opportunity_at,
    max(if(
        type = 'OpportunityOpened',
        tuple(global_position, JSONExtractString(data, 'opportunityId'), JSONExtractString(data, 'currency')),
        tuple(toUInt64(0), '', '')
    )) AS opportunity,
    max(if(
        type IN ('OpportunityOpened', 'OpportunityStageChanged'),
        tuple(global_position, JSONExtract(data, 'amount', 'Decimal(38, 4)')),
        tuple(toUInt64(0), toDecimal128(0, 4))
    )) AS opportunity_amount,
    maxIf(global_position, type = 'OpportunityOpened') AS opened_position,
    maxIf(global_position, type IN ('DealWon', 'DealLost', 'LeadRecycled', 'LeadMerged', 'LeadErased')) AS closed_position,
    minIfOrNull(occurred_at, type = 'DealWon') AS won_at,
    max(if(
        type = 'DealWon',
        tuple(global_position, JSONExtract(data, 'amount', 'Decimal(38, 4)'), JSONExtractString(data, 'currency')),
        tuple(toUInt64(0), toDecimal128(0, 4), '')
    )) AS won,
    minIfOrNull(occurred_at, type = 'DealLost') AS lost_at,
    max(if(type = 'DealLost', tuple(global_position, JSONExtractString(data, 'reason')), tuple(toUInt64(0), ''))) AS loss,
    groupUniqArrayIf(event_id, type = 'LeadRecycled') AS recycled_events,
    max(if(type = 'LeadMerged', tuple(global_position, JSONExtractString(data, 'intoLeadId')), tuple(toUInt64(0), ''))) AS merged,
    toUInt8(max(type = 'LeadErased')) AS erased,
    max(global_position) AS last_position,
    maxIf(global_position, type = 'LeadHandedToSales') AS handed_position,
    groupUniqArrayIf(
        tuple(global_position, occurred_at, toString(type)),
        type IN ('LeadAcceptedBySales', 'LeadRejectedBySales')
    ) AS responses,
    groupUniqArrayIf(
        tuple(
            occurred_at,
            global_position,
            if(type = 'LeadCaptured', JSONExtractString(data, 'source', 'channel'), JSONExtractString(data, 'channel')),
            if(type = 'LeadCaptured', JSONExtractString(data, 'source', 'campaign'), JSONExtractString(data, 'campaign'))
        ),
        type = 'LeadCaptured'
            OR (type = 'TouchpointRecorded'
                AND (JSONExtractString(data, 'channel') != '' OR JSONExtractString(data, 'campaign') != ''))
    ) AS touches
FROM {db:Identifier}.lead_events
GROUP BY lead_id
