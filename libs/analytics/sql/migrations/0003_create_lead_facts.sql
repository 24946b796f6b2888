-- lead_facts: the per-lead state both lenses and the shared funnel read. One definition of
-- every stage, so marketing and sales cannot drift apart by computing "accepted" differently.
--
-- Grain: one row per lead_id that has at least one event.
--
-- Why a plain view folding lead_events FINAL (and not a table the projector maintains): the
-- fold is a pure function of the *set* of a lead's events. Redelivery adds nothing to the set
-- (FINAL collapses duplicates by event_id), and batch boundaries or arrival order cannot change
-- it (every "latest" value is chosen by global_position, every "first" time by min). So numbers
-- are exactly-once and byte-identical for the same events by construction, with no
-- read-modify-write race between projector workers. The cost is folding on read; if it ever
-- shows up in query time, materialise this same SELECT into an AggregatingMergeTree.
--
-- Stage semantics: *ever reached*. A lead that was recycled and came back counts once per stage
-- (mql_at, handed_at, ... are the first time it got there); a lead can therefore be both
-- rejected and accepted, or both lost and won. Attributes that can change (owner, team, SLA due
-- time, rejection and loss reasons, opportunity amount) are the latest by global_position: the
-- sales lens attributes a lead to the owner of its latest hand-off.
--
-- Money is Decimal(38, 4) parsed from the JSON text, never Float64: sums stay exact and do not
-- depend on the order parallel aggregation adds them in. Amounts keep their currency.
--
-- Empty-string conventions: channel/campaign/medium/content/owner/team/reasons/currency are ''
-- when the lead has no such fact (e.g. no campaign, never handed to sales).
CREATE VIEW IF NOT EXISTS {db:Identifier}.lead_facts AS
SELECT
    lead_id,
    argMaxIf(account_id, global_position, account_id IS NOT NULL) AS account_id,

    minIfOrNull(occurred_at, type = 'LeadCaptured') AS captured_at,
    argMaxIf(JSONExtractString(data, 'source', 'channel'), global_position, type = 'LeadCaptured') AS channel,
    argMaxIf(JSONExtractString(data, 'source', 'campaign'), global_position, type = 'LeadCaptured') AS campaign,
    argMaxIf(JSONExtractString(data, 'source', 'medium'), global_position, type = 'LeadCaptured') AS medium,
    argMaxIf(JSONExtractString(data, 'source', 'content'), global_position, type = 'LeadCaptured') AS content,

    minIfOrNull(occurred_at, type = 'LeadQualifiedAsMql') AS mql_at,

    minIfOrNull(occurred_at, type = 'LeadHandedToSales') AS handed_at,
    argMaxIf(JSONExtractString(data, 'owner'), global_position, type = 'LeadHandedToSales') AS owner,
    argMaxIf(JSONExtractString(data, 'team'), global_position, type = 'LeadHandedToSales') AS team,
    argMaxIf(
        parseDateTime64BestEffortOrNull(JSONExtractString(data, 'slaDueAt'), 3, 'UTC'),
        global_position,
        type = 'LeadHandedToSales'
    ) AS sla_due_at,

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
GROUP BY lead_id
