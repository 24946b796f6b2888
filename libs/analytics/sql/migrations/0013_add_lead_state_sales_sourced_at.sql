-- lead_state.sales_sourced_at: the first time the lead was handed to sales on the sales-sourced
-- path (LeadHandedToSales with path 'sales_sourced', ADR 0008); NULL for every other lead. The
-- views compare it with handed_at (the first hand-off of any path) to tell which path the lead
-- entered sales by. min, like every time column here, so a re-inserted block changes nothing.
--
-- No backfill: hand-offs recorded before the path existed are marketing hand-offs, which is
-- exactly what the default (NULL) says. Filled by lead_state_path_mv (0014).
ALTER TABLE {db:Identifier}.lead_state
    ADD COLUMN IF NOT EXISTS sales_sourced_at SimpleAggregateFunction(min, Nullable(DateTime64(3, 'UTC')))
