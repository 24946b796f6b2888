/** Public surface of libs/domain: pure types and functions, no framework, no I/O. */
export * from './envelope';
export * from './errors';
export * from './text';
export * from './country-code';
export * from './currency-code';
export * from './lead/lead.events';
export * from './lead/lead.personal-data';
export * from './lead/lead.commands';
export * from './lead/lead.state';
export * from './lead/lead.decider';
export * from './lead/lead-id';
export * from './planning/planning.events';
export * from './planning/spend-retry';
export * from './visitor/visitor.events';
export * from './visitor/visitor.decider';
export * from './dictionary/dictionary.commands';
export * from './dictionary/dictionary.state';
export * from './dictionary/dictionary.decider';
export * from './rules/funnel-definition';
export * from './rules/default-funnel-definition';
export * from './rules/reporting-calendar';
export {
  attributionSectionSchema,
  defaultAttributionWeights,
  defaultTimeDecayHalfLifeDays,
  resolveAttributionWeights,
  type AttributionSection,
  type ResolvedAttributionWeights,
} from './rules/attribution';
export * from './rules/scoring';
export * from './access/permissions';
export * from './rules/rule-classification';
export * from './rules/definition-hash';
export { unknownFields } from './rules/unknown-fields';
export { isPlainObject } from './rules/schema-walk';
export { nullsAsAbsent, takesNullAsAbsent } from './rules/nulls-as-absent';
