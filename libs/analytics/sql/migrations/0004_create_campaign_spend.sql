-- campaign_spend: what marketing spent, one row per CampaignSpendRecorded event.
--
-- Grain: one row per event_id. Re-delivery re-inserts the same event_id with identical content;
-- ReplacingMergeTree collapses the copies on merge and every reader uses FINAL, so a redelivered
-- spend event never adds to a total (the same contract as lead_events).
--
-- Written by projectBatch in the same call as lead_events. A campaign's spend is the SUM of its
-- events (each event records one spend, e.g. one invoice or one day), per currency: no FX.
-- amount is Decimal(38, 4) (exact); spent_on is the business date the spend is for.
-- channel/campaign use the same vocabulary as the lead's source, so spend joins to the
-- marketing lens on (channel, campaign).
CREATE TABLE IF NOT EXISTS {db:Identifier}.campaign_spend
(
    event_id        UUID,
    campaign        String,
    channel         LowCardinality(String),
    amount          Decimal(38, 4),
    currency        LowCardinality(String),
    spent_on        Date32,
    global_position UInt64,
    recorded_at     DateTime64(3, 'UTC')
)
ENGINE = ReplacingMergeTree
ORDER BY event_id
