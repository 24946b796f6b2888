-- The per-lead funnel state, all time: lead_state (migrations 0009–0010) read FINAL. Not a
-- query of its own: _lead-funnel.sql puts it where it says lead_folds when a view is not asked
-- "as of" a date. Same columns, types and meaning as _lead-fold-as-of.sql (a test checks that
-- both agree, before and after ClickHouse merges the parts).
--
-- Why FINAL and not GROUP BY lead_id: FINAL merges each column with the function lead_state
-- declares for it (min, max, groupUniqArrayArray), exactly what a GROUP BY with those functions
-- computes, but only where parts overlap: rows of a part that no other part's key range
-- touches are read as they are (ClickHouse splits FINAL into intersecting and non-intersecting
-- ranges). Once background merges have folded the history, a read costs a scan of one row per
-- lead plus the merge of the recent parts, not an aggregation of every part's rows; the GROUP
-- BY it replaces hashed every row of every part on every request. Bounded FINAL (issue 10).
--
-- Parameters: db Identifier.
SELECT
    lead_id,
    if(s.account.1 = 0, NULL, s.account.2) AS account_id,

    s.captured_at AS captured_at,
    s.source.2 AS channel,
    s.source.3 AS campaign,
    s.source.4 AS medium,
    s.source.5 AS content,

    s.recorded_mql_at AS recorded_mql_at,

    s.handed_at AS handed_at,
    s.sales_sourced_at AS sales_sourced_at,
    s.handoff.2 AS owner,
    s.handoff.3 AS team,
    parseDateTime64BestEffortOrNull(s.handoff.4, 3, 'UTC') AS recorded_sla_due_at,
    s.last_handed_at AS last_handed_at,
    s.handoff.5 AS handed_rules_version,

    s.accepted_at AS accepted_at,
    s.rejected_at AS rejected_at,
    s.rejection.2 AS rejection_reason,

    s.sql_at AS sql_at,

    s.opportunity_at AS opportunity_at,
    s.opportunity.2 AS opportunity_id,
    s.opportunity_amount.2 AS opportunity_amount,
    s.opportunity.3 AS currency,
    toBool(s.opened_position > 0 AND s.opened_position > s.closed_position) AS opportunity_open,

    s.won_at AS won_at,
    s.won.2 AS won_amount,
    s.won.3 AS won_currency,
    s.lost_at AS lost_at,
    s.loss.2 AS loss_reason,

    toUInt32(length(s.recycled_events)) AS recycled_count,
    s.merged.2 AS merged_into,
    toBool(s.erased > 0) AS erased,

    s.last_position AS last_position,

    s.handed_position AS handed_position,
    arraySort(s.responses) AS responses,
    arraySort(t -> (t.1, t.2), s.touches) AS touch_path
FROM {db:Identifier}.lead_state AS s FINAL
