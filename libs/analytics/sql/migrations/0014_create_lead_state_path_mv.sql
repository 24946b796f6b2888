-- lead_state_path_mv: folds the sales-sourced hand-offs of every block inserted into lead_events
-- into lead_state.sales_sourced_at (0013). A second materialized view instead of a new query for
-- lead_state_mv (0010): an applied migration is immutable, and dropping and recreating that view
-- would lose the blocks inserted in between. Its rows carry only lead_id and this column; every
-- other column is its aggregate's neutral default (NULL under min, (0, ...) under max, [] under
-- the unions), so merging them into the lead's row changes nothing else.
CREATE MATERIALIZED VIEW IF NOT EXISTS {db:Identifier}.lead_state_path_mv TO {db:Identifier}.lead_state AS
SELECT
    lead_id,
    minIfOrNull(occurred_at, JSONExtractString(data, 'path') = 'sales_sourced') AS sales_sourced_at
FROM {db:Identifier}.lead_events
WHERE type = 'LeadHandedToSales'
GROUP BY lead_id
