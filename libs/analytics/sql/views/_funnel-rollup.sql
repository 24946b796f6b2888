-- The trend's and the targets' stage moments per day (views/_funnel-rollup-moments.sql's rows)
-- of the per-lead funnel of "now", read from the rollup kept for a snapshot of it
-- (lead_funnel_rollups, migration 0028; libs/analytics/src/views/funnel-rollups/) instead of
-- from every lead. Not a query of its own: AnalyticsQueries puts it where funnel-trend.rollup.sql
-- or targets-progress.rollup.sql says the funnel_rollup marker.
--
-- Exact at every moment, as the snapshot read (_lead-funnel-snapshot.sql) is: the leads changed
-- since the snapshot ({changed_leads}) are taken out (their snapshot rows' moments, negated) and
-- put back as the state gives them (_lead-funnel-changed.sql's rows' moments), where the
-- rollup_changes marker is (nothing when no lead changed). Rows whose moments net to zero are
-- dropped, so a row is there exactly when some lead moment is.
--
-- Parameters: db Identifier, snapshot_id UInt64, time_zone String, rollup_build UInt64, and
-- those of the changes (changed_leads, the per-lead funnel's, captured_from / captured_to).
SELECT
    view,
    stage,
    day,
    min(at) AS moment,
    channel,
    campaign,
    owner,
    currency,
    sum(n) AS moments,
    sum(money) AS amount
FROM
(
    SELECT view, stage, day, moment AS at, channel, campaign, owner, currency, moments AS n, amount AS money
    FROM {db:Identifier}.lead_funnel_rollups
    WHERE snapshot_id = {snapshot_id:UInt64}
      AND time_zone = {time_zone:String}
      AND build_id = {rollup_build:UInt64}
    {{rollup_changes}}
)
GROUP BY view, stage, day, channel, campaign, owner, currency
HAVING moments != 0
