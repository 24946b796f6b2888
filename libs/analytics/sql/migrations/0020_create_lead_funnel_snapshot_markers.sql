-- lead_funnel_snapshot_markers: one row per complete snapshot in lead_funnel_snapshots (0019),
-- written after every row of the snapshot: the completion marker. A snapshot without a marker
-- (the writer was killed) is never read.
--
-- Grain: one row per snapshot_id. A snapshot is of one rule set as the views read it:
-- (rules_version, definition_hash) and the two values _lead-funnel.sql takes from the set
-- besides them (recorded_version: the set's version while it is published, 0 for a shadow;
-- sla_ms). `position` is the rules checkpoint (projection_checkpoint, lead_rule_facts) read
-- before the snapshot's rows were: every lead with an event up to it is in the snapshot with
-- all of its events up to it, rule-derived rows included. A lead whose lead_state or
-- lead_rule_facts rows reach past it is read from the state instead (lead-snapshots/).
CREATE TABLE IF NOT EXISTS {db:Identifier}.lead_funnel_snapshot_markers
(
    rules_version    UInt32,
    definition_hash  String,
    recorded_version UInt32,
    sla_ms           UInt64,
    snapshot_id      UInt64,
    position         UInt64,
    leads            UInt64,
    taken_at         DateTime64(3, 'UTC')
)
ENGINE = MergeTree
ORDER BY (rules_version, definition_hash, snapshot_id)
