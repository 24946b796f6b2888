-- Event totals: the reconciliation's third witness, counted from the events without the
-- per-lead fold the views read (lead_state), so a mistake in that fold, or a lead one lens
-- cannot see (e.g. events of a lead whose LeadCaptured never arrived), shows up as a
-- disagreement.
--
-- Grain: one row for all time (no capture window: events without a capture must be counted).
-- Counts are distinct leads with at least one event of the type (the same "ever reached"
-- semantics as the lenses); won_revenue sums every DealWon event, per currency.
--
-- Read from lead_event_summary (migrations 0025–0027): per lead, the event types it has and
-- each DealWon's (event_id, currency, amount), kept as events arrive, so this costs a row per
-- lead, not a scan of every event's JSON. Redelivered copies count once: types are a set and
-- each DealWon is kept once per event_id.
--
-- Parameters: db Identifier.
SELECT
    countIf(has(types, 'LeadHandedToSales')) AS handed_to_sales,
    countIf(has(types, 'LeadAcceptedBySales')) AS accepted,
    countIf(has(types, 'LeadRejectedBySales')) AS rejected,
    countIf(has(types, 'OpportunityOpened')) AS opportunities,
    countIf(has(types, 'DealWon')) AS won,
    (
        SELECT mapApply((code, amount) -> (code, toString(amount)), sumMap(map(win.2, win.3)))
        FROM {db:Identifier}.lead_event_summary FINAL
        ARRAY JOIN wins AS win
    ) AS won_revenue
FROM
(
    SELECT type_positions.1 AS types
    FROM {db:Identifier}.lead_event_summary FINAL
)
