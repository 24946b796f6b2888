/**
 * The whole reconciliation verdict: the lenses agree (../reconciliation.ts) and every kept,
 * ready rule set is complete and consistent with the raw events (rule-set-findings.ts). Reads
 * only; each failed check becomes one named line in `findings`.
 *
 * Two kinds of checks, and why the difference matters on a live system:
 * - per-lead checks (rule_facts, recorded_mql, monotonic) read lead events only up to the
 *   projection checkpoint, which the projector writes after every row of what it covers. A
 *   batch in flight can never fail them: they are settled whenever they run.
 * - totals (the lens checks, stage counts: views against events) read everything there is. A
 *   batch landing between two reads can make them differ for a moment, so when they fail while
 *   the projection moved during the run, the run is repeated (a few times); `settled` says
 *   whether the final run saw a still projection. A set's stage counts are read in one
 *   statement with its lead audit (rule-set-audit.sql); the lens checks' event totals come from
 *   the first ready set's statement (they do not depend on the set), after both lenses.
 *
 * Campaign spend and targets have no witness here: analytics holds one copy of the planning
 * events (the rows themselves), and the store — the only other copy — offers no count by type,
 * so a check would have to read the whole log. Their rows are written before the checkpoint,
 * so a resume from the checkpoint re-sends them; nothing cheaper can prove their count.
 *
 * It must never write, and never excuse a failure: an unsettled failure still fails.
 */
import type { ClickHouseClient } from '@clickhouse/client';
import {
  analyticsDatabase,
  analyticsTables,
  type AnalyticsDatabaseOptions,
} from '../../clickhouse/analytics.database';
import type { AnalyticsQueries } from '../analytics.queries';
import { readProjectionProgress } from '../../projection/projection-checkpoints';
import { reconcileTotals, type Reconciliation } from '../reconciliation';
import type { SharedTotals } from '../analytics.rows';
import {
  activeOf,
  readActivation,
  readRuleSets,
  type RuleSet,
  type RuleSetKey,
} from '../../rules/rule-sets';
import { checkedRequirements } from './funnel-requirements';
import {
  countRequirements,
  ruleSetFindings,
  type FindingCheck,
  type RequirementCount,
  type RuleSetFinding,
  type StageCount,
} from './rule-set-findings';

export interface RuleSetReconciliation extends RuleSetKey {
  readonly kind: RuleSet['kind'];
  readonly status: RuleSet['status'];
  /** False for a set still being built (not ready): its rows are not complete yet by design. */
  readonly checked: boolean;
  readonly ok: boolean;
  readonly requirements: readonly RequirementCount[];
  readonly stages: readonly StageCount[];
  readonly findings: readonly RuleSetFinding[];
}

export interface FullReconciliation extends Reconciliation {
  /** The projection checkpoint the per-lead checks covered (decimal string), null before any. */
  readonly coveredPosition: string | null;
  /** False when the projection moved during the final run (see the module comment). */
  readonly settled: boolean;
  readonly ruleSets: readonly RuleSetReconciliation[];
  /** Every failed check, one line each: lens metrics first, then rule sets. */
  readonly findings: readonly string[];
}

/** Checks whose inputs are bounded by the checkpoint: a failure of one is never transient. */
export const settledChecks: readonly FindingCheck[] = ['rule_facts', 'recorded_mql', 'monotonic'];

/** One set's verdict from what its audit (rule-set-audit.sql) counted. Pure. */
export function reconcileRuleSet(
  set: RuleSet,
  inForce: readonly RuleSet[],
  audit: {
    readonly groups: Parameters<typeof countRequirements>[0];
    readonly stages: readonly StageCount[];
    readonly coveredPosition: string;
  },
): RuleSetReconciliation {
  const requirements = countRequirements(
    audit.groups,
    checkedRequirements(
      set.definition,
      inForce.map((published) => published.definition),
    ),
  );
  const findings = ruleSetFindings(set, { ...audit, requirements });
  return {
    rulesVersion: set.rulesVersion,
    definitionHash: set.definitionHash,
    kind: set.kind,
    status: set.status,
    checked: true,
    ok: findings.length === 0,
    requirements,
    stages: audit.stages,
    findings,
  };
}

/** The lens verdict and the sets' verdicts as one. Pure. */
export function combineReconciliation(
  lenses: Reconciliation,
  ruleSets: readonly RuleSetReconciliation[],
  progress: { readonly coveredPosition: string | null; readonly settled: boolean },
): FullReconciliation {
  const findings = [
    ...lenses.checks
      .filter((check) => !check.ok)
      .map(
        (check) =>
          `${check.metric}: marketing ${check.marketing}, sales ${check.sales}, events ${check.events}`,
      ),
    ...ruleSets.flatMap((set) => set.findings.map((finding) => finding.message)),
  ];
  return {
    ok: lenses.ok && ruleSets.every((set) => set.ok),
    checks: lenses.checks,
    ...progress,
    ruleSets,
    findings,
  };
}

/** True when the verdict fails on something a moving projection cannot explain. */
export function failsSettled(reconciliation: FullReconciliation): boolean {
  if (reconciliation.ok) return false;
  if (reconciliation.settled) return true;
  return reconciliation.ruleSets.some((set) =>
    set.findings.some((finding) => settledChecks.includes(finding.check)),
  );
}

interface Progress {
  readonly covered: string | null;
  /** How far inserts into lead_events and lead_rule_facts have gone (readProjectionProgress). */
  readonly events: string;
  readonly facts: string;
}

/**
 * Where the projection is: the position its rule-derived rows cover (the rules checkpoint,
 * which a catch-up leaves behind the events checkpoint until it classifies the leads it
 * touched) and how far inserts into the rows the checks read have gone (metadata only, which
 * a background merge leaves as it is), in one statement.
 */
async function readProgress(client: ClickHouseClient, database: string): Promise<Progress> {
  const { checkpoints, inserted } = await readProjectionProgress(
    client,
    [analyticsTables.leadEvents, analyticsTables.leadRuleFacts],
    { database },
  );
  const [events = '0', facts = '0'] = inserted;
  return { covered: checkpoints.rules, events, facts };
}

const sameProgress = (a: Progress, b: Progress) =>
  a.covered === b.covered && a.events === b.events && a.facts === b.facts;

export interface ReconcileOptions extends AnalyticsDatabaseOptions {
  /** The set the lenses are compared under (the active set when omitted). */
  readonly rules?: RuleSet;
  /** Runs at most this many times while totals fail and the projection moves. Default 3. */
  readonly attempts?: number;
}

async function reconcileOnce(
  client: ClickHouseClient,
  queries: AnalyticsQueries,
  database: string,
  rules: RuleSet | undefined,
): Promise<FullReconciliation> {
  const before = await readProgress(client, database);
  const coveredPosition = before.covered ?? '0';
  const sets = await readRuleSets(client, { database });
  const inForce = sets.filter((set) => set.kind === 'published');
  const lensRules = rules ?? activeOf(await readActivation(client, { database }), sets);
  // One look at where the views of the lenses' set read "now", for both lenses and that set's
  // stage counts: the three answer from the same funnel.
  const funnel = await queries.funnelRead(lensRules);
  const lensTotals = await queries.lensTotals(lensRules, funnel);
  const verdicts: RuleSetReconciliation[] = [];
  let events: SharedTotals | null = null;
  // One set after another: the check shares two cores with the projector and the API.
  for (const set of sets) {
    if (set.status !== 'ready') {
      verdicts.push({
        rulesVersion: set.rulesVersion,
        definitionHash: set.definitionHash,
        kind: set.kind,
        status: set.status,
        checked: false,
        ok: true,
        requirements: [],
        stages: [],
        findings: [],
      });
      continue;
    }
    const audit = await queries.ruleSetAudit(set, coveredPosition, funnel);
    // The totals of every event do not depend on the set: the first set's statement counts them.
    events ??= audit.totals;
    verdicts.push(
      reconcileRuleSet(set, inForce, {
        groups: audit.groups,
        stages: audit.stages,
        coveredPosition,
      }),
    );
  }
  const lenses = reconcileTotals(
    lensTotals.marketing,
    lensTotals.sales,
    events ?? (await queries.eventTotals()),
  );
  const after = await readProgress(client, database);
  return combineReconciliation(lenses, verdicts, {
    coveredPosition: before.covered,
    settled: sameProgress(before, after),
  });
}

/**
 * The full verdict. A failure seen while the projection moved is checked again (up to
 * `attempts` runs); the last run is returned either way.
 */
export async function reconcileAll(
  client: ClickHouseClient,
  queries: AnalyticsQueries,
  options: ReconcileOptions = {},
): Promise<FullReconciliation> {
  const database = analyticsDatabase(options);
  const attempts = Math.max(1, options.attempts ?? 3);
  let verdict = await reconcileOnce(client, queries, database, options.rules);
  for (let run = 1; run < attempts && !verdict.ok && !verdict.settled; run++) {
    verdict = await reconcileOnce(client, queries, database, options.rules);
  }
  return verdict;
}
