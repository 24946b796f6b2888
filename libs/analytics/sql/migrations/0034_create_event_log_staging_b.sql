-- event_log_staging_b: the second of the two staging tables the set-based catch-up alternates
-- between (see 0012 for what staging is). While ClickHouse projects one slice from one table,
-- the next slice is read from the store into the other over a second connection, so that the
-- wait on the store (PostgreSQL rendering jsonb, PGlite's CSV export) overlaps the projection
-- instead of following it. Same columns and engine as event_log_staging; the same scratch space,
-- emptied before each slice loaded into it and safe to lose.
CREATE TABLE IF NOT EXISTS {db:Identifier}.event_log_staging_b
(
    global_position UInt64,
    stream_id       String,
    stream_revision UInt64,
    event_id        UUID,
    event_type      String,
    schema_version  Int64,
    data            String,
    metadata        String,
    recorded_at     DateTime64(6, 'UTC')
)
ENGINE = Memory
