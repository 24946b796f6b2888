-- Where _lead-event-audit.sql and _lead-event-audit-kept.sql say the audited_leads marker, when
-- rows kept at {audit_position} are read: only the leads changed since it, found in the same
-- statement (so a batch landing meanwhile is in both the left-out rows and the recomputed ones):
-- a lead with an event past the position (a summary row reaching past it: its merged row's
-- last_position is the max of its rows'), or with a lead_rule_facts row of the set computed
-- past it. Every other lead's events and rule row are what they were at the position: the log
-- is append-only, a lead's rows for an event carry at least its position, and the set is ready
-- (no replay writing older rows for it).
--
-- Parameters: db Identifier, audit_position UInt64, rules_version UInt32, definition_hash String.
AND lead_id IN (
    SELECT lead_id FROM {db:Identifier}.lead_event_summary
    WHERE last_position > {audit_position:UInt64}
    UNION ALL
    SELECT lead_id FROM {db:Identifier}.lead_rule_facts
    WHERE rules_version = {rules_version:UInt32}
      AND definition_hash = {definition_hash:String}
      AND last_position > {audit_position:UInt64}
)
