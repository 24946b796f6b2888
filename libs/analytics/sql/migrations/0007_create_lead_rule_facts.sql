-- lead_rule_facts: what one rule set says about one lead: fit, intent and score, and whether
-- (and from when) the lead is an MQL under that set's rules.
--
-- Grain: one logical row per (rules_version, definition_hash, lead_id). A row is a pure
-- function of the lead's events (lead_events FINAL) and the definition, computed in
-- TypeScript by the domain's own classifier (libs/domain classifyLead), never re-implemented in
-- SQL. Recomputing after more events inserts a row with a higher last_position;
-- ReplacingMergeTree(last_position) keeps the most complete one, and two writers computing the
-- same lead from the same events write identical rows. Readers use FINAL.
--
-- mql_at is the business time of the first event after which the lead qualifies, so "as of D"
-- is `mql_at <= D`. Scores are Decimal(9, 2): the scoring rounds to 2 decimals, and decimals
-- print the same everywhere.
CREATE TABLE IF NOT EXISTS {db:Identifier}.lead_rule_facts
(
    rules_version   UInt32,
    definition_hash String,
    lead_id         String,
    mql             Bool,
    mql_at          Nullable(DateTime64(3, 'UTC')),
    fit_score       Decimal(9, 2),
    intent_score    Decimal(9, 2),
    score           Decimal(9, 2),
    event_count     UInt32,
    last_position   UInt64
)
ENGINE = ReplacingMergeTree(last_position)
ORDER BY (rules_version, definition_hash, lead_id)
