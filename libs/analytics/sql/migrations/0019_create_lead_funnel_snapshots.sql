-- lead_funnel_snapshots: the per-lead funnel (views/_lead-funnel.sql over the kept state,
-- views/_lead-state.sql) of one rule set, as it stood when the snapshot was taken, so that a
-- view asked about "now" reads one row per lead instead of merging lead_state FINAL and joining
-- the set's lead_rule_facts on every request (libs/analytics/src/views/lead-snapshots/).
--
-- Grain: one row per (snapshot_id, lead_id). A snapshot is written once, by one INSERT ...
-- SELECT, and is complete only once its marker (lead_funnel_snapshot_markers, 0020) names it:
-- a snapshot killed halfway has no marker and is never read. One partition per snapshot, so a
-- superseded one is dropped whole (DROP PARTITION), never rewritten.
--
-- The columns are _lead-funnel.sql's, in its order and with its types (the state's
-- SimpleAggregateFunction types included), so a view reads a snapshot row exactly as it reads
-- the funnel composed from the state: a test compares both (lead-snapshots.int.spec.ts).
-- Derived data only: a rebuild empties it (resetAnalytics) and it is taken again.
CREATE TABLE IF NOT EXISTS {db:Identifier}.lead_funnel_snapshots
(
    snapshot_id         UInt64,
    lead_id             String,
    account_id          Nullable(String),
    captured_at         SimpleAggregateFunction(min, Nullable(DateTime64(3, 'UTC'))),
    channel             String,
    campaign            String,
    medium              String,
    content             String,
    recorded_mql_at     SimpleAggregateFunction(min, Nullable(DateTime64(3, 'UTC'))),
    handed_at           SimpleAggregateFunction(min, Nullable(DateTime64(3, 'UTC'))),
    owner               String,
    team                String,
    recorded_sla_due_at Nullable(DateTime64(3, 'UTC')),
    accepted_at         SimpleAggregateFunction(min, Nullable(DateTime64(3, 'UTC'))),
    rejected_at         SimpleAggregateFunction(min, Nullable(DateTime64(3, 'UTC'))),
    rejection_reason    String,
    sql_at              SimpleAggregateFunction(min, Nullable(DateTime64(3, 'UTC'))),
    opportunity_at      SimpleAggregateFunction(min, Nullable(DateTime64(3, 'UTC'))),
    opportunity_id      String,
    opportunity_amount  Decimal(38, 4),
    currency            String,
    opportunity_open    Bool,
    won_at              SimpleAggregateFunction(min, Nullable(DateTime64(3, 'UTC'))),
    won_amount          Decimal(38, 4),
    won_currency        String,
    lost_at             SimpleAggregateFunction(min, Nullable(DateTime64(3, 'UTC'))),
    loss_reason         String,
    recycled_count      UInt32,
    merged_into         String,
    erased              Bool,
    last_position       SimpleAggregateFunction(max, UInt64),
    handed_position     SimpleAggregateFunction(max, UInt64),
    responses           Array(Tuple(UInt64, DateTime64(3, 'UTC'), String)),
    touch_path          Array(Tuple(DateTime64(3, 'UTC'), UInt64, String, String)),
    path                String,
    mql_at              Nullable(DateTime64(3, 'UTC')),
    sla_due_at          Nullable(DateTime64(3, 'UTC')),
    fit_score           Decimal(9, 2),
    intent_score        Decimal(9, 2),
    score               Decimal(9, 2)
)
ENGINE = MergeTree
PARTITION BY snapshot_id
ORDER BY lead_id
