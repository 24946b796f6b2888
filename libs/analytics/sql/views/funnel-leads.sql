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
-- Reads the lead-funnel fragment (views/_lead-funnel.sql), so it also binds rules_version, definition_hash,
-- sla_ms and as_of — the rule set the numbers are computed under and the business time they are as of.
SELECT
    lead_id,
    channel,
    campaign,
    owner,
    team,
    path,
    concat(replaceOne(toString(captured_at), ' ', 'T'), 'Z') AS captured_at,
    concat(replaceOne(toString(mql_at), ' ', 'T'), 'Z') AS mql_at,
    concat(replaceOne(toString(handed_at), ' ', 'T'), 'Z') AS handed_at,
    concat(replaceOne(toString(accepted_at), ' ', 'T'), 'Z') AS accepted_at,
    concat(replaceOne(toString(rejected_at), ' ', 'T'), 'Z') AS rejected_at,
    concat(replaceOne(toString(sql_at), ' ', 'T'), 'Z') AS sql_at,
    concat(replaceOne(toString(opportunity_at), ' ', 'T'), 'Z') AS opportunity_at,
    concat(replaceOne(toString(won_at), ' ', 'T'), 'Z') AS won_at,
    concat(replaceOne(toString(lost_at), ' ', 'T'), 'Z') AS lost_at
FROM {{lead_funnel}} AS lead
WHERE lead.captured_at >= {captured_from:DateTime64(3, 'UTC')}
  AND lead.captured_at < {captured_to:DateTime64(3, 'UTC')}
  AND (multiIf(
      {stage:String} = 'captured', lead.captured_at,
      {stage:String} = 'mql', lead.mql_at,
      {stage:String} = 'handed_to_sales', lead.handed_at,
      {stage:String} = 'accepted', lead.accepted_at,
      {stage:String} = 'rejected', lead.rejected_at,
      {stage:String} = 'sql', lead.sql_at,
      {stage:String} = 'opportunity', lead.opportunity_at,
      {stage:String} = 'won', lead.won_at,
      {stage:String} = 'lost', lead.lost_at,
      NULL
  ) AS reached_at) IS NOT NULL
  -- A trend point: the stage reached in that period (funnel-trend.sql's bucketing).
  AND (
      {grain:String} = ''
      OR multiIf(
          {grain:String} = 'week', toStartOfWeek(assumeNotNull(reached_at), 1, {time_zone:String}),
          {grain:String} = 'month', toStartOfMonth(assumeNotNull(reached_at), {time_zone:String}),
          addMonths(
              toStartOfMonth(assumeNotNull(reached_at), {time_zone:String}),
              -((toMonth(assumeNotNull(reached_at), {time_zone:String}) + 12 - {fiscal_start_month:UInt8}) % 3)
          )
      ) = {period:Date}
  )
ORDER BY lead.captured_at, lead.lead_id
