-- The per-lead funnel state, all time: lead_state (migrations 0009–0010) merged per lead. Not
-- a query of its own: _lead-funnel.sql puts it where it says lead_folds when a view is not
-- asked "as of" a date. Same columns, types and meaning as _lead-fold-as-of.sql (a test checks
-- that both agree); each column merges with the function lead_state declares for it, so the
-- answer is the same before and after ClickHouse merges the parts.
--
-- Parameters: db Identifier.
SELECT
    lead_id,
    if(max(account).1 = 0, NULL, max(account).2) AS account_id,

    min(captured_at) AS captured_at,
    max(source).2 AS channel,
    max(source).3 AS campaign,
    max(source).4 AS medium,
    max(source).5 AS content,

    min(recorded_mql_at) AS recorded_mql_at,

    min(handed_at) AS handed_at,
    min(sales_sourced_at) AS sales_sourced_at,
    max(handoff).2 AS owner,
    max(handoff).3 AS team,
    parseDateTime64BestEffortOrNull(max(handoff).4, 3, 'UTC') AS recorded_sla_due_at,
    max(last_handed_at) AS last_handed_at,
    max(handoff).5 AS handed_rules_version,

    min(accepted_at) AS accepted_at,
    min(rejected_at) AS rejected_at,
    max(rejection).2 AS rejection_reason,

    min(sql_at) AS sql_at,

    min(opportunity_at) AS opportunity_at,
    max(opportunity).2 AS opportunity_id,
    max(opportunity_amount).2 AS opportunity_amount,
    max(opportunity).3 AS currency,
    toBool(max(opened_position) > 0 AND max(opened_position) > max(closed_position)) AS opportunity_open,

    min(won_at) AS won_at,
    max(won).2 AS won_amount,
    max(won).3 AS won_currency,
    min(lost_at) AS lost_at,
    max(loss).2 AS loss_reason,

    toUInt32(length(groupUniqArrayArray(recycled_events))) AS recycled_count,
    max(merged).2 AS merged_into,
    toBool(max(erased) > 0) AS erased,

    max(last_position) AS last_position,

    max(handed_position) AS handed_position,
    arraySort(groupUniqArrayArray(responses)) AS responses,
    arraySort(t -> (t.1, t.2), groupUniqArrayArray(touches)) AS touch_path
FROM {db:Identifier}.lead_state
GROUP BY lead_id
