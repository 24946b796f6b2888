-- Event totals: the reconciliation's third witness, counted straight from lead_events without
-- lead_facts, so a mistake in the per-lead fold, or a lead one lens cannot see (e.g. events of
-- a lead whose LeadCaptured never arrived), shows up as a disagreement.
--
-- Grain: one row for all time (no capture window: events without a capture must be counted).
-- Counts are distinct leads with at least one event of the type (the same "ever reached"
-- semantics as the lenses); won_revenue sums every DealWon event, per currency.
--
-- No FINAL over the whole table: counting distinct leads is already immune to redelivered
-- copies, and revenue sums each DealWon event once (LIMIT 1 BY event_id over DealWon rows only).
--
-- Parameters: db Identifier.
SELECT
    uniqExactIf(lead_id, type = 'LeadHandedToSales') AS handed_to_sales,
    uniqExactIf(lead_id, type = 'LeadAcceptedBySales') AS accepted,
    uniqExactIf(lead_id, type = 'LeadRejectedBySales') AS rejected,
    uniqExactIf(lead_id, type = 'OpportunityOpened') AS opportunities,
    uniqExactIf(lead_id, type = 'DealWon') AS won,
    (
        SELECT mapApply(
            (code, amount) -> (code, toString(amount)),
            sumMap(map(JSONExtractString(data, 'currency'), JSONExtract(data, 'amount', 'Decimal(38, 4)')))
        )
        FROM
        (
            SELECT data FROM {db:Identifier}.lead_events
            WHERE type = 'DealWon'
            LIMIT 1 BY event_id
        )
    ) AS won_revenue
FROM {db:Identifier}.lead_events
WHERE type IN ('LeadHandedToSales', 'LeadAcceptedBySales', 'LeadRejectedBySales', 'OpportunityOpened', 'DealWon')
