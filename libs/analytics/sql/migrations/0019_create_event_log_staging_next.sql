-- event_log_staging_next: the second staging buffer of the set-based catch-up. While ClickHouse
-- turns one slice into rows from one buffer, it reads the next slice from PostgreSQL into the
-- other (BulkLogProjection alternates between them), so the store's read and the transform run
-- at the same time. Same columns and engine as event_log_staging, by construction; scratch
-- space like it (emptied before every slice, never read by views, safe to lose).
CREATE TABLE IF NOT EXISTS {db:Identifier}.event_log_staging_next AS {db:Identifier}.event_log_staging
