-- The rows of the drill-down (funnel-leads.sql) before its stage times are written as text: the
-- cohort, stage and trend-point filters on the per-lead funnel, the times as DateTime64(3, 'UTC'),
-- in no order. funnel-leads.sql formats and orders them; funnel-leads.page.sql cuts a page of
-- them first, so only that page is formatted. Parameters: those of funnel-leads.sql.
SELECT
    lead_id,
    channel,
    campaign,
    owner,
    team,
    path,
    captured_at,
    mql_at,
    handed_at,
    accepted_at,
    rejected_at,
    sql_at,
    opportunity_at,
    won_at,
    lost_at
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
          {grain:String} = 'week', subtractDays(toDate32(toTimeZone(assumeNotNull(reached_at), {time_zone:String})), toDayOfWeek(assumeNotNull(reached_at), 0, {time_zone:String}) - 1),
          {grain:String} = 'month', subtractDays(toDate32(toTimeZone(assumeNotNull(reached_at), {time_zone:String})), toDayOfMonth(assumeNotNull(reached_at), {time_zone:String}) - 1),
          addMonths(
              subtractDays(toDate32(toTimeZone(assumeNotNull(reached_at), {time_zone:String})), toDayOfMonth(assumeNotNull(reached_at), {time_zone:String}) - 1),
              -((toMonth(assumeNotNull(reached_at), {time_zone:String}) + 12 - {fiscal_start_month:UInt8}) % 3)
          )
      ) = {period:Date32}
  )
