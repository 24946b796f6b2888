/**
 * `tandem rules apply <version>`: makes a published version the active rule
 * set. Its views are built first by replaying the whole log (progress on
 * stderr; nothing to wait for when they are already built), then the API
 * switches every view and new decision to it at once. Rolling back is the same
 * command with the previous version, whose views stay built.
 */
import { describeRefusal, refusalOf } from '../api-client';
import { asJson } from '../cli-io';
import { describeUnfinishedReplay, runReplay } from './replay-follow';
import type { Activation, RulesApi } from './rules-contract';
import { type RulesIo, terminalIo } from './rules-io';

export async function applyRules(
  api: RulesApi,
  version: number,
  io: RulesIo = terminalIo,
  options: { readonly json?: boolean } = {},
): Promise<number> {
  const replayed = await runReplay(api, { version }, io);
  if (replayed.outcome !== 'done') {
    describeUnfinishedReplay(replayed).forEach((line) => io.warn(line));
    return 1;
  }
  let activation: Activation;
  try {
    activation = await api.post<Activation>(
      '/ops/rules/activations',
      { version },
      'ops',
      'tandem-cli',
    );
  } catch (error) {
    const refusal = refusalOf(error);
    if (refusal === null) throw error;
    describeRefusal(refusal).forEach((line) => io.warn(line));
    return 1;
  }
  const { active, previous } = activation;
  const unchanged =
    previous !== null &&
    previous.rulesVersion === active.rulesVersion &&
    previous.definitionHash === active.definitionHash;
  if (options.json) io.print(asJson({ active, previous, changed: !unchanged }));
  // With --json the sentences still reach the operator, on stderr.
  const say = options.json ? io.warn : io.print;
  if (unchanged) {
    say(`rules version ${active.rulesVersion} was already active: nothing changed`);
    return 0;
  }
  say(
    `rules version ${active.rulesVersion} is now active: every view and new decisions use it ` +
      `(was ${previous === null ? 'none' : previous.rulesVersion})`,
  );
  if (previous !== null) {
    say(`to roll back: tandem rules apply ${previous.rulesVersion}`);
  }
  return 0;
}
