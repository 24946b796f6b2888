-- The reconciliation's event witness (_lead-event-audit.sql's rows) read from a build kept at a
-- snapshot's position (lead_event_audits, migration 0032; libs/analytics/src/views/
-- reconciliation/lead-event-audits.ts) instead of from every lead: the build's group rows (its
-- lead rows counted per combination of columns), minus the kept rows of the leads changed since
-- the position, plus those leads' rows now (_lead-event-audit.sql cut to them). Not a query of
-- its own: AnalyticsQueries puts it where rule-set-audit.sql says the event_audit marker.
--
-- Grain: rows with _lead-event-audit.sql's columns but lead_id, each standing for `leads`
-- leads (negative for a kept row taken out) and their won_revenue (negated likewise): summed
-- per column combination they give the counts every lead's rows give. Kept rows are cut 'both':
-- a build keeps the leads with no event after its position, at most the check's {covered}.
--
-- Exact at every moment: the changed leads (_lead-event-audit-changed.sql, in place of the
-- audited_leads marker) are found in this statement, and a lead that is not among them has
-- the events and rule row it had at the position. A lead changed after the position is taken
-- out once (its kept row, if the build has one) and put back once (its row now), never
-- counted twice.
--
-- Parameters: db Identifier, audit_snapshot UInt64, audit_build UInt64, and those of the
-- changed leads' cut and of _lead-event-audit.sql.
SELECT
    'both' AS cut, facts, in_cohort, recorded_for_set, sales_sourced, captured, mql,
    handed_to_sales, accepted, rejected, sql, opportunity, won, lost, toInt64(leads) AS leads,
    won_revenue
FROM {db:Identifier}.lead_event_audits
WHERE snapshot_id = {audit_snapshot:UInt64}
  AND build_id = {audit_build:UInt64}
  AND kind = 'group'
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
