-- Leads whose MQL classification differs between two rule sets: the "who changed" part of a
-- what-if. All time (no window, no as_of): a classification is about the whole history.
--
-- Grain: one row. changed = became_mql + lost_mql; sample = the first {sample} changed leads by
-- lead_id with their score under each set (NULL when the set has no row for the lead).
--
-- Parameters: db Identifier, base_version / candidate_version UInt32, base_hash /
-- candidate_hash String, sample UInt32.
SELECT
    countIf(base_mql != candidate_mql) AS changed,
    countIf(candidate_mql AND NOT base_mql) AS became_mql,
    countIf(base_mql AND NOT candidate_mql) AS lost_mql,
    arraySlice(
        arraySort(x -> x.1, groupArrayIf(
            tuple(lead_id, base_mql, candidate_mql, base_score, candidate_score),
            base_mql != candidate_mql
        )),
        1,
        {sample:UInt32}
    ) AS sample
FROM
(
    SELECT
        lead_id,
        ifNull(base.mql, false) AS base_mql,
        ifNull(candidate.mql, false) AS candidate_mql,
        toString(base.score) AS base_score,
        toString(candidate.score) AS candidate_score
    FROM
    (
        SELECT lead_id, mql, score
        FROM {db:Identifier}.lead_rule_facts FINAL
        WHERE rules_version = {base_version:UInt32} AND definition_hash = {base_hash:String}
    ) AS base
    FULL OUTER JOIN
    (
        SELECT lead_id, mql, score
        FROM {db:Identifier}.lead_rule_facts FINAL
        WHERE rules_version = {candidate_version:UInt32} AND definition_hash = {candidate_hash:String}
    ) AS candidate USING (lead_id)
    SETTINGS join_use_nulls = 1
)
