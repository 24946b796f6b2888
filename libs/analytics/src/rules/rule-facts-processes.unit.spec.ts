import { defaultFunnelDefinition } from '@tandem/domain';
import { rederivableNow, type RuleFactsProcess } from './rule-facts-processes';
import { newRuleSet, type RuleSet } from './rule-sets';

const THIS_BUILD = '1-thisbuild';
const PREVIOUS = '1-previous';
const OLDER = '0-older';

const setBy = (factsVersion: string, version = 1): RuleSet => ({
  ...newRuleSet({ ...defaultFunnelDefinition, version }, 'published', 'ready'),
  factsVersion,
});
const alive = (role: RuleFactsProcess['role'], factsVersion: string) => ({ role, factsVersion });

describe('rederivableNow: which sets another build computed this build re-derives after its start', () => {
  it('given a projector of this build alive and none of the set’s build, re-derives the set', () => {
    const sets = [setBy(THIS_BUILD, 1), setBy(PREVIOUS, 2), setBy('', 3)];

    const chosen = rederivableNow(sets, [alive('projector', THIS_BUILD)], THIS_BUILD);

    // The set of unrecorded code ('') too: no process can be alive with it.
    expect(chosen.map((set) => set.rulesVersion)).toEqual([2, 3]);
  });

  it('given no projector of this build alive (the other side runs another build), re-derives none', () => {
    const sets = [setBy(PREVIOUS)];

    expect(rederivableNow(sets, [], THIS_BUILD)).toEqual([]);
    expect(rederivableNow(sets, [alive('api', THIS_BUILD)], THIS_BUILD)).toEqual([]);
    expect(rederivableNow(sets, [alive('projector', OLDER)], THIS_BUILD)).toEqual([]);
  });

  it('given a process of the set’s build alive, API or projector, leaves the set to it', () => {
    const sets = [setBy(PREVIOUS, 1), setBy(OLDER, 2)];
    const ours = alive('projector', THIS_BUILD);

    expect(
      rederivableNow(sets, [ours, alive('projector', PREVIOUS)], THIS_BUILD).map(
        (set) => set.rulesVersion,
      ),
    ).toEqual([2]);
    expect(
      rederivableNow(sets, [ours, alive('api', PREVIOUS)], THIS_BUILD).map(
        (set) => set.rulesVersion,
      ),
    ).toEqual([2]);
  });

  it('never lets two builds alive side by side take a set from each other', () => {
    // Both builds have an API and a projector alive: whichever build the set names, neither
    // re-derives it, so it cannot go back and forth while they run together.
    const both = [
      alive('api', THIS_BUILD),
      alive('projector', THIS_BUILD),
      alive('api', PREVIOUS),
      alive('projector', PREVIOUS),
    ];
    for (const set of [setBy(THIS_BUILD), setBy(PREVIOUS)]) {
      expect(rederivableNow([set], both, THIS_BUILD)).toEqual([]);
      expect(rederivableNow([set], both, PREVIOUS)).toEqual([]);
    }
  });
});
