-- The rule set the views read when no set is named (the API's default), for analysts: the
-- latest activation (`tandem rules apply`, by global_position), or, before any activation, the
-- newest published set (highest version, then hash). The same choice as activeRuleSet() in
-- libs/analytics/src/rules/rule-sets.ts; analyst-views.int.spec.ts checks that they agree.
--
-- Grain: one row (none before the first funnel definition reaches analytics).
-- Use: marketing_lens(rules_version = (SELECT rules_version FROM tandem.active_rule_set),
--                     definition_hash = (SELECT definition_hash FROM tandem.active_rule_set), ...)
--
-- Parameters: db Identifier.
SELECT rules_version, definition_hash
FROM
(
    SELECT rules_version, definition_hash, 1 AS activated, global_position AS position, event_id AS tie
    FROM {db:Identifier}.active_rules
    UNION ALL
    SELECT rules_version, definition_hash, 0, 0, toUUID('00000000-0000-0000-0000-000000000000')
    FROM {db:Identifier}.rule_sets FINAL
    WHERE kind = 'published'
)
ORDER BY activated DESC, position DESC, tie DESC, rules_version DESC, definition_hash DESC
LIMIT 1
