-- lead_event_summary: what the reconciliation's event witnesses (views/event-totals.sql,
-- rule-set-stage-counts.sql, rule-set-lead-audit.sql) and attribution's leads_touched
-- (views/marketing-attribution.sql) need of each lead's events, kept by ClickHouse as events
-- arrive (lead_event_summary_mv, 0026) so that a request reads one short row per lead instead
-- of grouping every event, parsing its JSON or walking every touch on every request.
--
-- Independent of the views on purpose: the views read lead_state (0009) through
-- views/_lead-state.sql; this table shares neither its columns nor its SQL. It keeps the raw
-- facts a witness counts (which event types a lead has, and a few payload fields), never a
-- funnel stage, so a mistake in the per-lead fold or in a view still shows up as a disagreement.
--
-- Grain: one logical row per lead_id; physically one row per (insert block, lead) until merges
-- combine them. Readers use FINAL (or GROUP BY lead_id with the same functions).
--
-- Every column is idempotent (max, min, unique-set unions), like lead_state's: a block inserted
-- twice (a redelivery, a resume after a crash, a rebuild over a live table) folds to the same
-- row, so the summary equals the events read FINAL whatever was delivered twice. A rebuild
-- empties it with lead_events (resetAnalytics).
--
--   last_position   the lead's highest global position (any type): a check cut at a position
--                   (the lead audit, up to the projection checkpoint) can use this row as is
--                   only for a lead with no event after the cut.
--   type_positions  per event type the lead has, its highest global position (keys sorted).
--   mql_versions    the rulesVersion of each LeadQualifiedAsMql (0 when absent).
--   handed_at       the first LeadHandedToSales (business time);
--   sales_sourced_at the first LeadHandedToSales whose path is 'sales_sourced'.
--   wins            every DealWon: (event_id, currency, amount), each event once.
--   touch_pairs     per (channel, campaign) the lead's own touches name (the touches
--                   lead_state.touches keeps: its LeadCaptured source, every TouchpointRecorded
--                   with a channel or a campaign), the earliest such touch's business time.
CREATE TABLE IF NOT EXISTS {db:Identifier}.lead_event_summary
(
    lead_id          String,
    last_position    SimpleAggregateFunction(max, UInt64),
    type_positions   SimpleAggregateFunction(maxMap, Tuple(Array(String), Array(UInt64))),
    mql_versions     SimpleAggregateFunction(groupUniqArrayArray, Array(UInt64)),
    handed_at        SimpleAggregateFunction(min, Nullable(DateTime64(3, 'UTC'))),
    sales_sourced_at SimpleAggregateFunction(min, Nullable(DateTime64(3, 'UTC'))),
    wins             SimpleAggregateFunction(groupUniqArrayArray, Array(Tuple(UUID, String, Decimal(38, 4)))),
    touch_pairs      SimpleAggregateFunction(minMap, Tuple(Array(Tuple(String, String)), Array(DateTime64(3, 'UTC'))))
)
ENGINE = AggregatingMergeTree
ORDER BY lead_id
