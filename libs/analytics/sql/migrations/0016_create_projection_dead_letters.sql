-- projection_dead_letters: the embedded projector's dead-letter place (server mode has a Kafka
-- DLQ topic; embedded mode has no Kafka). One row per event of the store's log that the
-- projection set aside: it failed decoding or broke the projection's contract, and no retry
-- would change that. The checkpoint may pass such an event only after its row is written here.
--
-- Grain: one logical row per event. Re-projecting after a crash or a rebuild writes the same
-- row again; ReplacingMergeTree on (global_position, event_id) keeps one. Read with FINAL.
-- Holds no event payload (it may carry personal data), only the id, position, type and why.
CREATE TABLE IF NOT EXISTS {db:Identifier}.projection_dead_letters
(
    global_position  UInt64,
    event_id         String,
    event_type       LowCardinality(String),
    reason           String,
    dead_lettered_at DateTime64(3, 'UTC') DEFAULT now64(3)
)
ENGINE = ReplacingMergeTree(dead_lettered_at)
ORDER BY (global_position, event_id)
