/**
 * `tandem rules what-if <draft-file> [--json]`: what the funnel would look like
 * if the draft were the active rule set. The API replays the whole log into a
 * shadow rule set (progress on stderr), then compares it with the active one.
 * It never publishes or activates anything; stdout carries only the report.
 */
import { describeRefusal, refusalOf } from '../api-client';
import { describeUnfinishedReplay, runReplay } from './replay-follow';
import type { RulesApi, RuleSetsView, WhatIfReport } from './rules-contract';
import { readDraft } from './rules-draft';
import { type RulesIo, terminalIo } from './rules-io';
import { formatWhatIfReport } from './what-if-report';

export async function whatIfRules(
  api: RulesApi,
  file: string,
  options: { readonly json: boolean },
  io: RulesIo = terminalIo,
): Promise<number> {
  const read = await readDraft(file, io.warn, io.readText);
  if (!read.ok) return 2;
  const replayed = await runReplay(api, { draft: read.draft }, io);
  if (replayed.outcome !== 'done') {
    describeUnfinishedReplay(replayed).forEach((line) => io.warn(line));
    return 1;
  }
  const draft = replayed.replay;
  let report: WhatIfReport;
  try {
    const { active } = await api.get<RuleSetsView>('/ops/rules');
    if (active === null) {
      io.warn('no rules version is active, so there is nothing to compare the draft with');
      return 1;
    }
    const query = new URLSearchParams({
      baseVersion: String(active.rulesVersion),
      baseHash: active.definitionHash,
      candidateVersion: String(draft.rulesVersion),
      candidateHash: draft.definitionHash,
    });
    report = await api.get<WhatIfReport>(`/analytics/rules/compare?${query.toString()}`);
  } catch (error) {
    const refusal = refusalOf(error);
    if (refusal === null) throw error;
    describeRefusal(refusal).forEach((line) => io.warn(line));
    return 1;
  }
  const hint =
    `this draft is not published: publish it with \`tandem rules publish ${file}\`, ` +
    'then `tandem rules apply <version>`';
  if (options.json) {
    io.print(JSON.stringify(report, null, 2));
    io.warn(hint);
  } else {
    formatWhatIfReport(report).forEach((line) => io.print(line));
    io.print('');
    io.print(hint);
  }
  return 0;
}
