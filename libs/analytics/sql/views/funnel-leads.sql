-- The leads behind a number: every lead of the capture cohort [captured_from, captured_to)
-- that reached one stage, with the dimensions the dashboard drills from (stage, capture
-- channel and campaign, owner) and the moment of each stage. The drill-down of the funnel,
-- the lenses and the trend, under the same rule set and asOf as the number clicked.
--
-- Grain: one row per lead that reached {stage} ('captured' = every lead of the cohort),
-- ordered by capture time then lead id. No personal data: ClickHouse holds none, and this
-- lists lead ids, never names or e-mails; whoever may read a lead's timeline follows its id.
--   owner, team: of the latest hand-off ('' when never handed to sales).
--   *_at:        the first time the lead reached the stage, ISO-8601 UTC to the millisecond
--                (the DateTime64(3, 'UTC') text with T and Z); NULL if it did not.
--
-- A trend point's leads: with grain 'week', 'month' or 'quarter', only the leads that reached
-- {stage} in the period starting {period} (bucketed exactly as funnel-trend.sql does, in
-- time_zone, quarters from fiscal_start_month); grain '' ignores period and the calendar.
--
-- Parameters: db Identifier, stage String (one of the reported stages, validated by the
-- caller), captured_from / captured_to DateTime64(3, 'UTC'), grain String ('' or a trend
-- grain), period Date, time_zone String (an IANA name), fiscal_start_month UInt8 (1-12).
-- Its rows (the filters) are funnel-leads.rows.sql, in place of the view_rows marker, which reads
-- the lead-funnel fragment (views/_lead-funnel.sql), so it also binds rules_version, definition_hash,
-- sla_ms and as_of — the rule set the numbers are computed under and the business time they are as of.
-- Every column of the rows, in their order, with the stage times written as text: `*` so that the
-- API's page (funnel-leads.page.sql, cut from the rows before this formats them) keeps its count.
SELECT * REPLACE (
    concat(replaceOne(toString(captured_at), ' ', 'T'), 'Z') AS captured_at,
    concat(replaceOne(toString(mql_at), ' ', 'T'), 'Z') AS mql_at,
    concat(replaceOne(toString(handed_at), ' ', 'T'), 'Z') AS handed_at,
    concat(replaceOne(toString(accepted_at), ' ', 'T'), 'Z') AS accepted_at,
    concat(replaceOne(toString(rejected_at), ' ', 'T'), 'Z') AS rejected_at,
    concat(replaceOne(toString(sql_at), ' ', 'T'), 'Z') AS sql_at,
    concat(replaceOne(toString(opportunity_at), ' ', 'T'), 'Z') AS opportunity_at,
    concat(replaceOne(toString(won_at), ' ', 'T'), 'Z') AS won_at,
    concat(replaceOne(toString(lost_at), ' ', 'T'), 'Z') AS lost_at
)
FROM {{view_rows}} AS lead
ORDER BY lead.captured_at, lead.lead_id
