-- lead_event_audit_markers: one row per complete build in lead_event_audits (0032), written
-- after every row of it: the completion marker. Rows of a build without a marker (the writer was
-- killed) are never read.
--
-- Grain: one row per build_id. A build is of one snapshot (snapshot_id) and covers the events up
-- to its position: the snapshot's (its marker's `position`, copied here with what the rows were
-- counted under: the rule set and recorded_version, the set's version while it is published, 0
-- for a shadow, so a reader needs no other table to know what it holds). `leads` is how many
-- 'lead' rows the build holds. Two complete builds of the same snapshot hold the same rows;
-- readers take the lowest build_id of the latest position.
CREATE TABLE IF NOT EXISTS {db:Identifier}.lead_event_audit_markers
(
    snapshot_id      UInt64,
    build_id         UInt64,
    rules_version    UInt32,
    definition_hash  String,
    recorded_version UInt32,
    position         UInt64,
    leads            UInt64,
    built_at         DateTime64(3, 'UTC')
)
ENGINE = MergeTree
ORDER BY (snapshot_id, build_id)
