-- lead_event_audits: the reconciliation's event witness (views/_lead-event-audit.sql: per lead,
-- what its events in lead_event_summary and one rule set's lead_rule_facts say, never the views'
-- funnel, its snapshot or lead_state) kept at the position of one snapshot of the per-lead
-- funnel (lead_funnel_snapshots, 0019), so that a check sums a few hundred kept rows and
-- recomputes only the leads changed since, instead of reading lead_event_summary FINAL and
-- lead_rule_facts FINAL three times (libs/analytics/src/views/reconciliation/
-- lead-event-audits.ts, docs/performance.md).
--
-- Grain: one row per (snapshot_id, build_id, kind, lead_id) for kind 'lead' (one lead's row,
-- leads 1), one per distinct combination of the other columns for kind 'group' (lead_id '',
-- leads and won_revenue summed over the build's 'lead' rows with those columns). A build is
-- written once, from the events up to the snapshot's position under the snapshot's rule set,
-- and is complete only once its marker (lead_event_audit_markers, 0033) names it: rows of a
-- build killed halfway are never read. Partitioned like the snapshots, so what is kept for a
-- dropped snapshot is dropped whole with it.
--   facts .. lost  _lead-event-audit.sql's columns (described there);
--   won_revenue    currency -> sum of the DealWon amounts (each event once).
-- Derived data only: a rebuild empties it (resetAnalytics) and it is written again.
CREATE TABLE IF NOT EXISTS {db:Identifier}.lead_event_audits
(
    snapshot_id      UInt64,
    build_id         UInt64,
    kind             LowCardinality(String),
    lead_id          String,
    facts            LowCardinality(String),
    in_cohort        Bool,
    recorded_for_set Bool,
    sales_sourced    Bool,
    captured         Bool,
    mql              Bool,
    handed_to_sales  Bool,
    accepted         Bool,
    rejected         Bool,
    sql              Bool,
    opportunity      Bool,
    won              Bool,
    lost             Bool,
    leads            UInt64,
    won_revenue      Map(String, Decimal(38, 4))
)
ENGINE = MergeTree
PARTITION BY snapshot_id
ORDER BY (build_id, kind, lead_id)
