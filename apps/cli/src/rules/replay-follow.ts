/**
 * Starts a replay (POST /ops/rules/replays) and follows it until it settles,
 * polling every 500 ms and showing progress on stderr. It returns an outcome
 * instead of throwing for what the API refuses or a replay that fails; only
 * outages and bugs stay exceptions.
 */
import { describeRefusal, type Refusal, refusalOf } from '../api-client';
import { createReplayProgress } from './replay-progress';
import type { ReplayView, RulesApi } from './rules-contract';
import type { RulesIo } from './rules-io';

export type ReplayRequest = { readonly draft: unknown } | { readonly version: number };

export type ReplayOutcome =
  | { readonly outcome: 'done'; readonly replay: ReplayView }
  | { readonly outcome: 'failed'; readonly replay: ReplayView }
  | { readonly outcome: 'refused'; readonly refusal: Refusal };

const pollIntervalMs = 500;

export async function runReplay(
  api: RulesApi,
  request: ReplayRequest,
  io: RulesIo,
): Promise<ReplayOutcome> {
  let replay: ReplayView;
  try {
    replay = await api.post<ReplayView>('/ops/rules/replays', request, 'ops', 'tandem-cli');
  } catch (error) {
    return refused(error);
  }
  // A rule set that is already built comes back done: nothing to follow.
  if (replay.status === 'running') {
    const progress = createReplayProgress(io.progress, io.now);
    try {
      progress.update(replay);
      while (replay.status === 'running') {
        await io.sleep(pollIntervalMs);
        replay = await api.get<ReplayView>(`/ops/rules/replays/${encodeURIComponent(replay.id)}`);
        progress.update(replay);
      }
    } catch (error) {
      return refused(error);
    } finally {
      progress.end();
    }
  }
  return { outcome: replay.status === 'done' ? 'done' : 'failed', replay };
}

/** What to tell the user when a replay did not end `done`. */
export function describeUnfinishedReplay(
  outcome: Exclude<ReplayOutcome, { outcome: 'done' }>,
): string[] {
  switch (outcome.outcome) {
    case 'failed':
      return [
        `replay of rules v${outcome.replay.rulesVersion} failed: ${outcome.replay.error ?? 'no reason given'}`,
      ];
    case 'refused':
      return describeRefusal(outcome.refusal);
  }
}

function refused(error: unknown): ReplayOutcome {
  const refusal = refusalOf(error);
  if (refusal === null) throw error;
  return { outcome: 'refused', refusal };
}
