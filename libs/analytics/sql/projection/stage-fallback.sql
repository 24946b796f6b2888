-- Staged events the fast path did not write (another type, schema version or shape): the
-- projector decodes them in TypeScript, exactly as when it follows the log live. Run after
-- lead-events-from-staging.sql over the same range: "not in lead_events" is then exactly "not
-- vouched for", without evaluating the checks a second time (a lead event already written by
-- an earlier, interrupted run is not sent again: its row is there).
-- Parameters: db Identifier, staging Identifier (the staging table holding the slice), from
-- UInt64, to UInt64 (inclusive).
SELECT
    toString(global_position) AS position,
    stream_id,
    toString(stream_revision) AS revision,
    toString(event_id) AS id,
    event_type,
    schema_version,
    data,
    metadata,
    toString(toDateTime64(recorded_at, 3, 'UTC')) AS recorded
FROM {db:Identifier}.{staging:Identifier}
WHERE global_position BETWEEN {from:UInt64} AND {to:UInt64}
  AND event_id NOT IN
  (
      SELECT event_id FROM {db:Identifier}.lead_events
      WHERE global_position BETWEEN {from:UInt64} AND {to:UInt64}
  )
ORDER BY global_position
