-- active_rules: which rule set the views read, projected from FunnelDefinitionActivated events
-- (`tandem rules apply`). One row per activation, kept as history; the active set is the row
-- latest in the global log. Redelivery re-inserts the same event: the latest row is still the
-- same, so readers need no FINAL.
--
-- The query layer reads this once per request and passes the version to every query of that
-- request as a parameter: a response is computed under exactly one rule set, and switching is
-- one row becoming the latest (atomic for every reader).
CREATE TABLE IF NOT EXISTS {db:Identifier}.active_rules
(
    rules_version    UInt32,
    definition_hash  String,
    previous_version Nullable(UInt32),
    event_id         UUID,
    global_position  UInt64,
    activated_at     DateTime64(3, 'UTC')
)
ENGINE = ReplacingMergeTree
ORDER BY (global_position, event_id)
