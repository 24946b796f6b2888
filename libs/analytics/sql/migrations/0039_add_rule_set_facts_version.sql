-- rule_sets.facts_version: which code computed the set's rule-derived rows (lead_rule_facts),
-- as rules/rule-facts-version.ts names it: the version of the classifier and the rules pass,
-- and a digest of the pass's SQL. No event arrives when a deploy changes how the rows are
-- computed, so without it the rows stayed as the old code computed them until a rebuild, and
-- views differed from a rebuild's under the same rules version. A set whose facts_version is
-- not the running code's is re-derived at start (ADR 0005). Rows written before this column
-- have '': their code is unknown, so every kept set is re-derived once after this migration.
ALTER TABLE {db:Identifier}.rule_sets
    ADD COLUMN IF NOT EXISTS facts_version String DEFAULT ''
