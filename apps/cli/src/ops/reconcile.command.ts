/**
 * `tandem reconcile`: asks the API for the full verdict (lenses and every kept rule set) and
 * prints it, or with --json the verdict itself; exit 1 on any failure. Printing is a pure
 * function of the response, so what an operator reads is specified by a unit spec.
 */
import type { FullReconciliation } from '@tandem/analytics';
import type { ApiClient } from '../api-client';
import { asJson, type CliIo, terminalCliIo } from '../cli-io';

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

/** With --json, the API's verdict as it came; the exit code says the same either way. */
export async function reconcileCommand(
  api: Pick<ApiClient, 'get'>,
  options: { readonly json?: boolean } = {},
  io: Pick<CliIo, 'print'> = terminalCliIo,
): Promise<number> {
  const result = await api.get<FullReconciliation>('/analytics/reconciliation');
  if (options.json) io.print(asJson(result));
  else for (const line of reconciliationReport(result)) io.print(line);
  return result.ok ? 0 : 1;
}
