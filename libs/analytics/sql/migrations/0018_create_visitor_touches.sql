-- visitor_touches: touchpoints before capture, one row per AnonymousTouchpointRecorded event
-- (a web visit or ad click recorded against a visitor id, in the stream visitor-<id>; ADR 0012).
--
-- Grain: one row per event_id. Re-delivery re-inserts the same row; ReplacingMergeTree
-- collapses the copies and every reader uses FINAL (the contract of lead_events). Ordered by
-- visitor first: attribution looks the touches up by the visitor ids a LeadCaptured names.
--
-- Not in lead_events: these events belong to no lead (yet), and lead_state folds lead_events
-- per lead_id. A lead's stitched touches are a join at query time, so a visitor captured twice
-- (two leads on one browser) is every such lead's, and nothing projected is ever rewritten.
-- No personal data: the event has no free text; visitor ids are random pseudonymous ids.
CREATE TABLE IF NOT EXISTS {db:Identifier}.visitor_touches
(
    event_id        UUID,
    visitor_id      String,
    touchpoint_id   String,
    kind            LowCardinality(String),
    channel         LowCardinality(String),
    campaign        String,
    occurred_at     DateTime64(3, 'UTC'),
    global_position UInt64,
    recorded_at     DateTime64(3, 'UTC')
)
ENGINE = ReplacingMergeTree
ORDER BY (visitor_id, event_id)
