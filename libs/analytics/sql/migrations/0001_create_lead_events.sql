-- lead_events: the analysts' base table and the only table the projector writes facts to.
--
-- Grain: one row per recorded lead event, identified by event_id. Re-delivery (relay retries,
-- projector crash and restart, a rebuild over a live table) re-inserts rows with the same
-- event_id and identical content; ReplacingMergeTree collapses them when parts merge, and every
-- reader that must not double count reads `FINAL` (or aggregates by event_id / lead_id with
-- idempotent aggregates). Re-inserting the same events never changes a number.
--
-- The sorting key is (lead_id, event_id): event_id alone identifies the row; lead_id in front
-- is a function of event_id (an event belongs to exactly one lead) and clusters each lead's
-- history for the per-lead fold in lead_facts. global_position is deliberately NOT in the key:
-- a rebuild from another store adapter may renumber the global log, and a key containing it
-- would then keep both copies of the same event.
--
-- PII: `data` holds an allow-listed copy of the payload, written by the projector: never the
-- contact of LeadCaptured, never free-text notes. Analytics keeps pseudonymous ids only, so
-- erasing a lead upstream needs no rewrite here.
--
-- Partitioned by the month the store recorded the event: immutable per event (so duplicates
-- always meet in the same partition) and increasing, so old partitions stop changing.
CREATE TABLE IF NOT EXISTS {db:Identifier}.lead_events
(
    event_id        UUID,
    type            LowCardinality(String),
    schema_version  UInt16,
    lead_id         String,
    account_id      Nullable(String),
    stream_id       String,
    stream_revision UInt64,
    global_position UInt64,
    occurred_at     DateTime64(3, 'UTC'),
    recorded_at     DateTime64(3, 'UTC'),
    correlation_id  String,
    causation_id    Nullable(String),
    actor_kind      LowCardinality(String),
    actor_id        String,
    actor_role      LowCardinality(String),
    data            String
)
ENGINE = ReplacingMergeTree
PARTITION BY toYYYYMM(recorded_at)
ORDER BY (lead_id, event_id)
