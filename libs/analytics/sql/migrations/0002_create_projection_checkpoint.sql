-- projection_checkpoint: the highest global position the embedded projector has handed to
-- ClickHouse, including positions of events it skipped (planning events have no lead row), so
-- a batch of nothing but skipped events still advances the resume point.
--
-- Grain: one logical row per projection_name. Every batch inserts a new row; ReplacingMergeTree
-- with version = position keeps the highest, and readers take max(position), which is correct
-- before and after merges. Written after the batch's lead_events rows: a crash in between only
-- makes the projector re-send a batch it already wrote, which lead_events absorbs.
--
-- Only meaningful for a projector that reads the global log in order (embedded mode). A Kafka
-- consumer group resumes from its committed offsets instead.
CREATE TABLE IF NOT EXISTS {db:Identifier}.projection_checkpoint
(
    projection_name LowCardinality(String),
    position        UInt64
)
ENGINE = ReplacingMergeTree(position)
ORDER BY projection_name
