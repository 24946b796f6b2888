-- lead_event_summary_mv: folds every block inserted into lead_events into lead_event_summary
-- (0025). It reads only the inserted block; a block inserted twice folds to the same row. The
-- payload fields are read as the witnesses read them from `data` before (JSONExtract*), each
-- only for the events of its type (an `if` evaluates its branch for those rows only), and the
-- touches are lead_state_mv's (0010): the LeadCaptured source and every TouchpointRecorded
-- with a channel or a campaign.
CREATE MATERIALIZED VIEW IF NOT EXISTS {db:Identifier}.lead_event_summary_mv TO {db:Identifier}.lead_event_summary AS
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
