-- The leads changed since a snapshot, taken out of its rollup and put back (_funnel-rollup.sql,
-- where the rollup_changes marker is): the moments of their snapshot rows negated, then the
-- moments of their rows as the state gives them. AnalyticsQueries puts
-- _funnel-rollup-moments.sql at each moments marker, over the snapshot's rows of those leads at
-- the first and over _lead-funnel-changed.sql at the second.
--
-- Parameters: db Identifier, snapshot_id UInt64, changed_leads Array(String), and those of
-- _funnel-rollup-moments.sql and of the per-lead funnel.
UNION ALL
SELECT view, stage, day, moment, channel, campaign, owner, currency, -moments, -amount
FROM {{snapshot_moments}}
UNION ALL
SELECT view, stage, day, moment, channel, campaign, owner, currency, moments, amount
FROM {{state_moments}}
