/**
 * `tandem rules apply <version>`: makes a published version the active rule
 * set. One call to the API's apply (POST /ops/rules/applies), which builds the
 * version's views first by replaying the whole log when they are not built,
 * then switches every view and new decision to it at once; this follows the
 * apply while it replays (progress on stderr) and reports the switch. Rolling
 * back is the same command with the previous version, whose views stay built.
 *
 * It first reads the activation in force (GET /definitions) and applies only over that one
 * (`expectedActivationId`): an activation made by someone else while this one replays, or a
 * retry of this request after another, is refused, not rolled back. `--force` skips that.
 */
import { ApiError, describeRefusal, refusalOf } from '../api-client';
import { asJson } from '../cli-io';
import { createReplayProgress } from './replay-progress';
import type { ApplyView, DefinitionsView, RulesApi } from './rules-contract';
import { type RulesIo, terminalIo } from './rules-io';

const pollIntervalMs = 500;

export async function applyRules(
  api: RulesApi,
  version: number,
  io: RulesIo = terminalIo,
  options: { readonly json?: boolean; readonly force?: boolean } = {},
): Promise<number> {
  let apply: ApplyView;
  try {
    const request = options.force ? { version } : { version, ...(await activationInForce(api)) };
    apply = await followApply(api, request, io);
  } catch (error) {
    const refusal = refusalOf(error);
    if (refusal === null) throw error;
    describeRefusal(refusal).forEach((line) => io.warn(line));
    if (activationChanged(error)) {
      io.warn(
        `nothing changed: check tandem rules list, then run it again to apply over what is in force now (or --force)`,
      );
    }
    return 1;
  }
  if (apply.status !== 'done' || apply.activation === null) {
    io.warn(`apply of rules v${version} failed: ${apply.error ?? 'no reason given'}`);
    return 1;
  }
  const { active, previous } = apply.activation;
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

/** The precondition the apply sends: the activation in force as this command read it. */
async function activationInForce(api: RulesApi): Promise<{ expectedActivationId?: string }> {
  const { activationId } = await api.get<DefinitionsView>('/definitions');
  // None yet (a store the API has not bootstrapped): nothing to insist on.
  return activationId === null ? {} : { expectedActivationId: activationId };
}

const activationChanged = (error: unknown) =>
  error instanceof ApiError &&
  (error.body as { code?: unknown } | null)?.code === 'activation_changed';

/** Starts (or joins) the apply and polls it until it ends, showing its replay on stderr. */
async function followApply(
  api: RulesApi,
  request: { readonly version: number; readonly expectedActivationId?: string },
  io: RulesIo,
): Promise<ApplyView> {
  let apply = await api.post<ApplyView>('/ops/rules/applies', request, 'ops', 'tandem-cli');
  // A rule set that is already built is applied at once: nothing to follow.
  if (!settled(apply)) {
    const progress = createReplayProgress(io.progress, io.now);
    let replayEnded = false;
    // The replay's last line once: the apply still activates after it.
    const show = ({ replay }: ApplyView) => {
      if (replay === null || replayEnded) return;
      progress.update(replay);
      replayEnded = replay.status !== 'running';
    };
    try {
      show(apply);
      while (!settled(apply)) {
        await io.sleep(pollIntervalMs);
        apply = await api.get<ApplyView>(`/ops/rules/applies/${encodeURIComponent(apply.id)}`);
        show(apply);
      }
    } finally {
      progress.end();
    }
  }
  return apply;
}

const settled = (apply: ApplyView) => apply.status === 'done' || apply.status === 'failed';
