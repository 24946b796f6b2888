-- The leads changed since a kept build's position, in place of the audit_changes marker of
-- _lead-event-audit-kept.sql when there are any: their kept rows taken out (negated), and their
-- rows now put back (_lead-event-audit.sql cut to them where it says lead_event_audit). Both
-- halves cut by the same bound set (_lead-event-audit-changed.sql, in place of the
-- audited_leads marker), so each such lead is taken out once, if kept, and put back once.
-- With no lead changed, nothing goes in: the kept counts alone are every lead's.
--
-- Parameters: db Identifier, audit_snapshot UInt64, audit_build UInt64, those of the cut and
-- those of _lead-event-audit.sql.
UNION ALL
SELECT
    'both' AS cut, facts, in_cohort, recorded_for_set, sales_sourced, captured, mql,
    handed_to_sales, accepted, rejected, sql, opportunity, won, lost, toInt64(-1) AS leads,
    mapApply((code, amount) -> (code, -amount), won_revenue) AS won_revenue
FROM {db:Identifier}.lead_event_audits
WHERE snapshot_id = {audit_snapshot:UInt64}
  AND build_id = {audit_build:UInt64}
  AND kind = 'lead'
  {{audited_leads}}
UNION ALL
SELECT
    cut, facts, in_cohort, recorded_for_set, sales_sourced, captured, mql, handed_to_sales,
    accepted, rejected, sql, opportunity, won, lost, leads, won_revenue
FROM ({{lead_event_audit}})
