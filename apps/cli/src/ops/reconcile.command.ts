/**
 * `tandem reconcile`: asks the API for the full verdict (lenses and every kept rule set) and
 * prints it; exit 1 on any failure. Printing is a pure function of the response, so what an
 * operator reads is specified by a unit spec.
 */
import type { FullReconciliation } from '@tandem/analytics';
import { ApiClient } from '../api-client';

/** The lines the command prints, in order: lens checks, rule sets, findings, verdict. */
export function reconciliationReport(result: FullReconciliation): string[] {
  const lines = result.checks.map(
    (check) =>
      `${check.ok ? 'ok ' : 'BAD'} ${check.metric}: marketing ${check.marketing}, sales ${check.sales}, events ${check.events}`,
  );
  for (const set of result.ruleSets) {
    const name = `rules version ${set.rulesVersion} (sha ${set.definitionHash}, ${set.kind})`;
    if (!set.checked) {
      lines.push(`--  ${name}: not checked, ${set.status}`);
      continue;
    }
    const stages = set.stages.map((stage) => `${stage.stage} ${stage.events}`).join(', ');
    lines.push(`${set.ok ? 'ok ' : 'BAD'} ${name}: ${stages}`);
  }
  for (const finding of result.findings) lines.push(`  - ${finding}`);
  const covered = result.coveredPosition ?? 'nothing projected yet';
  const moving = result.settled ? '' : ' (the projection moved during the check; run it again)';
  lines.push(`${result.ok ? 'reconciled' : 'NOT reconciled'} up to position ${covered}${moving}`);
  return lines;
}

export async function reconcileCommand(apiUrl: string): Promise<number> {
  const result = await new ApiClient(apiUrl).get<FullReconciliation>('/analytics/reconciliation');
  for (const line of reconciliationReport(result)) console.log(line);
  return result.ok ? 0 : 1;
}
