-- The rows of targets progress (targets-progress.sql), as targets-progress.rows.sql gives them for
-- "now", from the day rollup of the funnel's snapshot (_funnel-rollup.sql in place of the
-- funnel_rollup marker, kept in the reporting time zone bound here). Parameters: those of
-- targets-progress.sql and of _funnel-rollup.sql.
SELECT
    rollup.stage AS fact_metric,
    rollup.day AS fact_day,
    rollup.owner AS fact_owner,
    rollup.currency AS fact_currency,
    toUInt64(rollup.moments) AS leads,
    rollup.amount AS amount
FROM {{funnel_rollup}} AS rollup
WHERE rollup.view = 'targets'
