/**
 * Which stage a lead must have reached before another, read from a definition's `transitions`
 * rather than hard-coded: Y is required before X when every path from nurturing (where every
 * lead starts) to X passes through Y — Y dominates X in the transition graph. A definition that
 * allows another way into X (e.g. nurturing → handed_to_sales directly) therefore requires
 * nothing there, and the reconciliation cannot fail on it.
 *
 * Pure: no I/O. It must never invent a requirement the graph does not force.
 */
import { lifecycleStatuses, type FunnelDefinition, type LifecycleStatus } from '@tandem/domain';

/** The stages a funnel count exists for: every lifecycle status except the start. */
export const auditedStages = [
  'mql',
  'handed_to_sales',
  'accepted',
  'rejected',
  'sql',
  'opportunity',
  'won',
  'lost',
] as const satisfies readonly LifecycleStatus[];
export type AuditedStage = (typeof auditedStages)[number];

/** `requires` must have been reached by every lead that reached `stage`. */
export interface StageRequirement {
  readonly stage: AuditedStage;
  readonly requires: AuditedStage;
}

const START: LifecycleStatus = 'nurturing';
const isAudited = (status: LifecycleStatus): status is AuditedStage =>
  (auditedStages as readonly string[]).includes(status);

/** Dominator sets of the statuses reachable from nurturing (iterative data-flow). */
function dominators(
  transitions: FunnelDefinition['transitions'],
): Map<LifecycleStatus, Set<LifecycleStatus>> {
  const reachable = new Set<LifecycleStatus>([START]);
  for (let grew = true; grew;) {
    grew = false;
    for (const { from, to } of transitions) {
      if (!reachable.has(from)) continue;
      for (const target of to) {
        if (!reachable.has(target)) {
          reachable.add(target);
          grew = true;
        }
      }
    }
  }
  const nodes = lifecycleStatuses.filter((status) => reachable.has(status));
  const predecessors = (node: LifecycleStatus) =>
    transitions.filter((t) => reachable.has(t.from) && t.to.includes(node)).map((t) => t.from);
  const dom = new Map<LifecycleStatus, Set<LifecycleStatus>>(
    nodes.map((node) => [node, new Set(node === START ? [START] : nodes)]),
  );
  for (let changed = true; changed;) {
    changed = false;
    for (const node of nodes) {
      if (node === START) continue;
      const preds = predecessors(node);
      const next = new Set(
        nodes.filter((candidate) => preds.every((p) => dom.get(p)?.has(candidate) === true)),
      );
      next.add(node);
      if (next.size !== dom.get(node)?.size) {
        dom.set(node, next);
        changed = true;
      }
    }
  }
  return dom;
}

/** Every (stage, required earlier stage) pair the definition's transitions force. */
export function stageRequirements(definition: FunnelDefinition): StageRequirement[] {
  const pairs: StageRequirement[] = [];
  for (const [stage, dom] of dominators(definition.transitions)) {
    if (!isAudited(stage)) continue;
    for (const requires of auditedStages) {
      if (requires !== stage && dom.has(requires)) pairs.push({ stage, requires });
    }
  }
  return sortRequirements(pairs);
}

const order = (stage: AuditedStage) => auditedStages.indexOf(stage);
function sortRequirements(pairs: StageRequirement[]): StageRequirement[] {
  return pairs.sort(
    (a, b) => order(a.stage) - order(b.stage) || order(a.requires) - order(b.requires),
  );
}

const same = (a: StageRequirement, b: StageRequirement) =>
  a.stage === b.stage && a.requires === b.requires;

/**
 * The requirements to check for one rule set. The events were recorded under whichever
 * published version was in force at the time, so a pair is checked only when the set's own
 * definition forces it *and* so does every published definition (any of them may have let a
 * lead around the stage). Of the pairs left, only the immediate ones: the relation is
 * transitive, so checking handed ≤ mql and accepted ≤ handed already covers accepted ≤ mql,
 * and one missing MQL is reported once, not once per later stage.
 */
export function checkedRequirements(
  definition: FunnelDefinition,
  inForce: readonly FunnelDefinition[],
): StageRequirement[] {
  const others = inForce.map(stageRequirements);
  const common = stageRequirements(definition).filter((pair) =>
    others.every((pairs) => pairs.some((other) => same(other, pair))),
  );
  const holds = (stage: AuditedStage, requires: AuditedStage) =>
    common.some((pair) => pair.stage === stage && pair.requires === requires);
  return common.filter(
    ({ stage, requires }) =>
      !auditedStages.some((between) => holds(stage, between) && holds(between, requires)),
  );
}
