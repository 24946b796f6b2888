-- lead_state: the per-lead funnel state every current view reads, maintained by ClickHouse
-- itself (lead_state_mv folds each block inserted into lead_events into it). Views no longer
-- fold the whole of lead_events per request: they merge this table, one row per lead once
-- parts have merged, so a query costs the number of leads, not the number of events.
--
-- Grain: one logical row per lead_id; physically one row per (insert block, lead) until
-- background merges combine them. Readers GROUP BY lead_id with the same function the column
-- is declared with (min, max, groupUniqArrayArray), which gives the same answer before and
-- after merges.
--
-- Why every column is idempotent: delivery is at least once (a batch is re-inserted after a
-- crash, a Kafka redelivery, a rebuild over a live table). min, max and unique-set unions give
-- the same result when a row is folded twice, so re-inserting events never changes a number,
-- exactly as lead_events read FINAL. No column counts rows: counts are lengths of unique sets
-- of event ids.
--
-- "Latest by global position" attributes are Tuple(position, value...) under max: the tuple
-- with the highest position wins, which is argMax(value, position); a lead with no such event
-- keeps (0, defaults), as argMaxIf returns defaults (global positions start at 1).
--
-- The same fold, cut at a business time (asOf), is views/_lead-fold-as-of.sql over the raw
-- events; a test checks both agree row for row.
CREATE TABLE IF NOT EXISTS {db:Identifier}.lead_state
(
    lead_id             String,
    account             SimpleAggregateFunction(max, Tuple(UInt64, String)),
    captured_at         SimpleAggregateFunction(min, Nullable(DateTime64(3, 'UTC'))),
    -- latest LeadCaptured: channel, campaign, medium, content
    source              SimpleAggregateFunction(max, Tuple(UInt64, String, String, String, String)),
    recorded_mql_at     SimpleAggregateFunction(min, Nullable(DateTime64(3, 'UTC'))),
    handed_at           SimpleAggregateFunction(min, Nullable(DateTime64(3, 'UTC'))),
    last_handed_at      SimpleAggregateFunction(max, Nullable(DateTime64(3, 'UTC'))),
    -- latest LeadHandedToSales: owner, team, slaDueAt (text as recorded), rulesVersion
    handoff             SimpleAggregateFunction(max, Tuple(UInt64, String, String, String, UInt64)),
    accepted_at         SimpleAggregateFunction(min, Nullable(DateTime64(3, 'UTC'))),
    rejected_at         SimpleAggregateFunction(min, Nullable(DateTime64(3, 'UTC'))),
    rejection           SimpleAggregateFunction(max, Tuple(UInt64, String)),
    sql_at              SimpleAggregateFunction(min, Nullable(DateTime64(3, 'UTC'))),
    opportunity_at      SimpleAggregateFunction(min, Nullable(DateTime64(3, 'UTC'))),
    -- latest OpportunityOpened: opportunityId, currency
    opportunity         SimpleAggregateFunction(max, Tuple(UInt64, String, String)),
    -- latest OpportunityOpened or OpportunityStageChanged: amount
    opportunity_amount  SimpleAggregateFunction(max, Tuple(UInt64, Decimal(38, 4))),
    opened_position     SimpleAggregateFunction(max, UInt64),
    closed_position     SimpleAggregateFunction(max, UInt64),
    won_at              SimpleAggregateFunction(min, Nullable(DateTime64(3, 'UTC'))),
    -- latest DealWon: amount, currency
    won                 SimpleAggregateFunction(max, Tuple(UInt64, Decimal(38, 4), String)),
    lost_at             SimpleAggregateFunction(min, Nullable(DateTime64(3, 'UTC'))),
    loss                SimpleAggregateFunction(max, Tuple(UInt64, String)),
    recycled_events     SimpleAggregateFunction(groupUniqArrayArray, Array(UUID)),
    merged              SimpleAggregateFunction(max, Tuple(UInt64, String)),
    erased              SimpleAggregateFunction(max, UInt8),
    last_position       SimpleAggregateFunction(max, UInt64),
    -- alignment: the latest hand-off's position, and every response (position, time, type)
    handed_position     SimpleAggregateFunction(max, UInt64),
    responses           SimpleAggregateFunction(groupUniqArrayArray, Array(Tuple(UInt64, DateTime64(3, 'UTC'), String))),
    -- attribution: the capture and every touchpoint with a channel or campaign
    -- (time, position, channel, campaign)
    touches             SimpleAggregateFunction(groupUniqArrayArray, Array(Tuple(DateTime64(3, 'UTC'), UInt64, String, String)))
)
ENGINE = AggregatingMergeTree
ORDER BY lead_id
