-- event_log_staging: a slice of the store's global log, as the store holds it (payload and
-- metadata as JSON text), loaded by the projector when it catches up on a large history so that
-- ClickHouse turns it into rows itself (sql/projection/lead-events-from-staging.sql, ADR 0006).
--
-- Scratch space, not a fact table: emptied before every slice, never read by views, and safe
-- to lose (a crash re-loads the slice from the projection's checkpoint). Memory engine: a slice
-- lives for seconds and is bounded by the projector's slice size.
CREATE TABLE IF NOT EXISTS {db:Identifier}.event_log_staging
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
