-- Fills lead_event_summary from the events projected before it existed (an upgrade), with the
-- same fold as lead_event_summary_mv (0026). Events the view already folded while this ran
-- fold again to the same row: every aggregate is idempotent.
INSERT INTO {db:Identifier}.lead_event_summary
SELECT
    lead_id,
    max(global_position) AS last_position,
    maxMap([toString(type)], [global_position]) AS type_positions,
    groupUniqArrayIf(mql_version, type = 'LeadQualifiedAsMql') AS mql_versions,
    minIfOrNull(occurred_at, type = 'LeadHandedToSales') AS handed_at,
    minIfOrNull(occurred_at, sales_sourced) AS sales_sourced_at,
    groupUniqArrayIf(tuple(event_id, won_currency, won_amount), type = 'DealWon') AS wins,
    minMap(if(is_touch, [tuple(channel, campaign)], []), if(is_touch, [occurred_at], [])) AS touch_pairs
FROM
(
    SELECT
        lead_id,
        type,
        global_position,
        occurred_at,
        event_id,
        if(type = 'LeadQualifiedAsMql', JSONExtractUInt(data, 'rulesVersion'), 0) AS mql_version,
        type = 'LeadHandedToSales'
            AND if(type = 'LeadHandedToSales', JSONExtractString(data, 'path'), '') = 'sales_sourced' AS sales_sourced,
        if(type = 'DealWon', JSONExtractString(data, 'currency'), '') AS won_currency,
        if(type = 'DealWon', JSONExtract(data, 'amount', 'Decimal(38, 4)'), toDecimal128(0, 4)) AS won_amount,
        multiIf(
            type = 'LeadCaptured', JSONExtractString(data, 'source', 'channel'),
            type = 'TouchpointRecorded', JSONExtractString(data, 'channel'),
            ''
        ) AS channel,
        multiIf(
            type = 'LeadCaptured', JSONExtractString(data, 'source', 'campaign'),
            type = 'TouchpointRecorded', JSONExtractString(data, 'campaign'),
            ''
        ) AS campaign,
        type = 'LeadCaptured' OR (type = 'TouchpointRecorded' AND (channel != '' OR campaign != '')) AS is_touch
    FROM {db:Identifier}.lead_events
)
GROUP BY lead_id
