/**
 * Which code computed a rule set's rows (lead_rule_facts, and what the views build from them):
 * recorded with the set (rule_sets.facts_version, migration 0039), so that a deploy that
 * computes other rows from the same events re-derives the sets computed by another version
 * instead of serving them as current (ADR 0005, "Facts computed by other code").
 *
 * Two parts, because the rules pass is two kinds of code:
 *   - RULE_FACTS_CODE_VERSION, for the TypeScript: the domain's classifier and what this lib
 *     makes of lead_events for it (rule-facts.ts). A digest of that code's text would change
 *     with every refactor and every comment; a version number changes when the output does.
 *     It is held to that by rule-facts-version.unit.spec.ts: a golden digest of the rows the
 *     pass computes over a fixed, seeded corpus of histories, recorded per version, so a change
 *     of behaviour without a bump fails CI.
 *   - a digest of the SQL the pass reads its inputs with (RULE_INPUTS_SQL) and of the codes it
 *     sends them as: any change to that text re-derives, which costs a replay, never a wrong row.
 *
 * It must never be computed from anything but the code: two processes of one build agree.
 */
import { createHash } from 'node:crypto';
import { touchpointKinds } from '@tandem/domain';
import { RULE_INPUT_TYPES, RULE_INPUTS_SQL, TYPE_CODE_BASE } from './rule-facts';

/**
 * Bump when the classifier (libs/domain) or rule-facts.ts computes other rows from the same
 * events, and record the new golden digest in rule-facts-version.unit.spec.ts.
 */
export const RULE_FACTS_CODE_VERSION = 1;

let computed: string | null = null;

/** This code's facts version: `<RULE_FACTS_CODE_VERSION>-<digest of the pass's SQL>` (12 hex). */
export function ruleFactsVersion(): string {
  computed ??= `${RULE_FACTS_CODE_VERSION}-${createHash('sha256')
    .update(JSON.stringify([RULE_INPUTS_SQL, RULE_INPUT_TYPES, touchpointKinds, TYPE_CODE_BASE]))
    .digest('hex')
    .slice(0, 12)}`;
  return computed;
}

/** True when the set's rows were computed by other code than this (or by none recorded). */
export const factsOutdated = (set: { readonly factsVersion: string }): boolean =>
  set.factsVersion !== ruleFactsVersion();
