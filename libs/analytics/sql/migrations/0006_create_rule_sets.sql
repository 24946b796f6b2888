-- rule_sets: every set of rule-derived rows analytics keeps, one per (rules_version,
-- definition_hash), and how far building it has got.
--
-- A rule set is a funnel definition applied to the whole history: kind 'published' for a
-- version published through the API (registered by the projector when it sees the
-- FunnelDefinitionPublished event), 'shadow' for a draft a what-if replayed and nobody
-- published. The hash (definitionHash: sha-256 of the canonical JSON, 16 hex) tells a draft
-- apart from a later, different publication under the same version number.
--
-- status: 'pending'  registered, rows are computed for leads with new events, history not yet
--                    replayed;
--         'building' a replay is running (or was killed: it resumes after checkpoint_lead_id);
--         'ready'    every lead has its row; views may read it.
-- Leads with new events get their rows recomputed by the projector in every status, so a
-- replay only has to cover the leads that were there before it started (ADR 0005).
--
-- Grain: one logical row per (rules_version, definition_hash). Every change inserts a new row;
-- ReplacingMergeTree(revision) keeps the newest and readers use FINAL. The projector registers
-- with revision 0, so it can never overwrite a replay's progress. sla_ms and attribution_model
-- are copied out of the definition so SQL needs no JSON parsing to apply them.
CREATE TABLE IF NOT EXISTS {db:Identifier}.rule_sets
(
    rules_version      UInt32,
    definition_hash    String,
    name               String,
    kind               LowCardinality(String),
    status             LowCardinality(String),
    definition         String,
    sla_ms             UInt64,
    attribution_model  LowCardinality(String),
    checkpoint_lead_id String,
    events_done        UInt64,
    events_total       UInt64,
    owner              String,
    heartbeat_at       DateTime64(3, 'UTC'),
    revision           UInt64
)
ENGINE = ReplacingMergeTree(revision)
ORDER BY (rules_version, definition_hash)
