-- Where _lead-event-audit.sql and _lead-event-audit-changes.sql say the audited_leads marker,
-- when rows kept at a snapshot's position are read: only the leads changed since it, bound as
-- {audited_leads} (LeadEventAudits.changedSince, read from the events' side just before this
-- statement, as the views read their snapshot: lead_event_summary and the set's
-- lead_rule_facts, never the funnel or lead_state), sorted. A bound set instead of the query
-- that finds them: the statement names it in four places, and the analyser planned that
-- subquery at each (docs/performance.md, "Reconciliation's witness without its recomputation").
--
-- Parameters: audited_leads Array(String).
AND lead_id IN {audited_leads:Array(String)}
