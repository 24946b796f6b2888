/**
 * `tandem rules publish <file>` and `tandem rules list`: the shared dictionary
 * from the ops command line. Publishing appends a FunnelDefinitionPublished
 * event and nothing more: no version is in force until `tandem rules apply`
 * switches to it, after `tandem rules what-if` has shown what would change.
 */
import { describeRefusal, refusalOf } from '../api-client';
import { asJson } from '../cli-io';
import { shortHash } from './replay-progress';
import type { DefinitionsView, RulesApi, RuleSetsView } from './rules-contract';
import { readDraft, readTextFile } from './rules-draft';
import { renderTable } from '../text-table';

/**
 * `print` gets the result; `options.warn` (default: `print`) the refusals and,
 * with --json, the hints. The terminal passes stderr there.
 */
export async function publishRules(
  api: RulesApi,
  file: string,
  print: (line: string) => void = console.log,
  readText: (file: string) => Promise<string> = readTextFile,
  options: { readonly json?: boolean; readonly warn?: (line: string) => void } = {},
): Promise<number> {
  const warn = options.warn ?? print;
  const read = await readDraft(file, warn, readText);
  if (!read.ok) return 2;
  try {
    const published = await api.post<{ version: number }>(
      '/definitions',
      read.draft,
      'ops',
      'tandem-cli',
    );
    const version = published.version;
    const hint =
      `published funnel definition version ${version}; nothing changes until you apply it: ` +
      `tandem rules what-if ${file} to compare, tandem rules apply ${version} to switch`;
    if (options.json) {
      print(asJson(published));
      warn(hint);
    } else {
      print(hint);
    }
    return 0;
  } catch (error) {
    const refusal = refusalOf(error);
    if (refusal === null) throw error;
    describeRefusal(refusal).forEach((line) => warn(line));
    return 1;
  }
}

/** Published versions, then the rule sets built from them (or from drafts) and which is active. */
export async function listRules(
  api: RulesApi,
  print: (line: string) => void = console.log,
  options: { readonly json?: boolean } = {},
): Promise<number> {
  const [definitions, ruleSets] = await Promise.all([
    api.get<DefinitionsView>('/definitions'),
    api.get<RuleSetsView>('/ops/rules'),
  ]);
  if (options.json) {
    print(asJson({ definitions, ruleSets }));
    return 0;
  }
  const { versions, active: inForce } = definitions;
  const { active, sets } = ruleSets;
  for (const v of versions) {
    print(
      `${v.version === inForce ? '*' : ' '} v${v.version}  ${v.publishedAt}  ${v.publishedBy}  ${v.name}`,
    );
  }
  print('');
  if (sets.length === 0) {
    print('no rule sets built yet: tandem rules apply <version> builds one and switches to it');
    return 0;
  }
  const isActive = (set: RuleSetsView['sets'][number]) =>
    active !== null &&
    set.rulesVersion === active.rulesVersion &&
    set.definitionHash === active.definitionHash;
  renderTable('RULE SETS (* = active: every view and new decision uses it)', sets, [
    { header: ' ', value: (s) => (isActive(s) ? '*' : ''), align: 'left' },
    { header: 'version', value: (s) => `v${s.rulesVersion}`, align: 'left' },
    { header: 'sha', value: (s) => shortHash(s.definitionHash), align: 'left' },
    { header: 'kind', value: (s) => s.kind, align: 'left' },
    { header: 'status', value: (s) => s.status, align: 'left' },
    {
      header: 'events built',
      value: (s) =>
        s.updatedAt === null
          ? 'live'
          : `${s.eventsDone.toLocaleString('en-US')}/${s.eventsTotal.toLocaleString('en-US')}`,
    },
    { header: 'updated', value: (s) => s.updatedAt ?? '-', align: 'left' },
    { header: 'name', value: (s) => s.name, align: 'left' },
  ]).forEach((line) => print(line.trimEnd()));
  return 0;
}
