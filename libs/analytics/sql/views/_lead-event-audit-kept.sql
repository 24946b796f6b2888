-- The reconciliation's event witness (_lead-event-audit.sql's rows) read from a build kept at a
-- snapshot's position (lead_event_audits, migration 0032; libs/analytics/src/views/
-- reconciliation/lead-event-audits.ts) instead of from every lead: the build's group rows (its
-- lead rows counted per combination of columns), and where it says the audit_changes marker,
-- the leads changed since the position: their kept rows taken out, their rows now put back
-- (_lead-event-audit-changes.sql), or nothing when none changed. Not a query of its own:
-- AnalyticsQueries puts it where rule-set-audit.sql says the event_audit marker.
--
-- Grain: rows with _lead-event-audit.sql's columns but lead_id, each standing for `leads`
-- leads (negative for a kept row taken out) and their won_revenue (negated likewise): summed
-- per column combination they give the counts every lead's rows give. Kept rows are cut 'both':
-- a build keeps the leads with no event after its position, at most the check's {covered}.
--
-- Every lead counted once: the changed leads are read just before this statement (after the
-- check read {covered}) and bound to both halves; a lead outside them had, when they were read,
-- no event and no rule row of the set past the position, so none up to {covered} either (the
-- projector writes everything a checkpoint covers before the checkpoint): its kept row is its
-- row at {covered}, which is all the lead audit reads. A batch landing between the two
-- statements is counted by the stage counts and event totals of every event from its leads'
-- kept rows, as of the position, until the next check: a total that moved while the check ran
-- is what `settled` (rule-set-reconciliation.ts) reports and retries, as for the lenses.
--
-- Parameters: db Identifier, audit_snapshot UInt64, audit_build UInt64, and those of the
-- changes when they go in.
SELECT
    'both' AS cut, facts, in_cohort, recorded_for_set, sales_sourced, captured, mql,
    handed_to_sales, accepted, rejected, sql, opportunity, won, lost, toInt64(leads) AS leads,
    won_revenue
FROM {db:Identifier}.lead_event_audits
WHERE snapshot_id = {audit_snapshot:UInt64}
  AND build_id = {audit_build:UInt64}
  AND kind = 'group'
{{audit_changes}}
