-- rule_facts_processes: which processes that compute rule-derived rows are alive, and with which
-- code (rules/rule-facts-version.ts): the API (split deployment) and each Kafka-fed projector
-- member write their row every few seconds. The API re-derives a kept set that another build
-- computed after its start only while a projector of its own build runs and no process of that
-- other build is alive (ADR 0005, "Sets another build computed while the API runs"), so two
-- builds running side by side never re-mark each other's sets back and forth.
--
-- Grain: one logical row per process; its latest look wins (ReplacingMergeTree on seen_at). Rows
-- of processes gone are dropped after a day. Liveness data, not projected data: a rebuild
-- leaves it alone.
CREATE TABLE IF NOT EXISTS {db:Identifier}.rule_facts_processes
(
    process       String,
    role          LowCardinality(String),
    facts_version String,
    seen_at       DateTime64(3, 'UTC')
)
ENGINE = ReplacingMergeTree(seen_at)
ORDER BY process
TTL toDateTime(seen_at) + INTERVAL 1 DAY
