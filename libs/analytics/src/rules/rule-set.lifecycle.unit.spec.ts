import { ruleFactsVersion } from './rule-facts-version';
import {
  assertActivatable,
  assertFactsCurrent,
  needsReplay,
  RuleSetTransitionError,
  transition,
  type RuleSetLifecycle,
} from './rule-set.lifecycle';

const state = (kind: RuleSetLifecycle['kind'], status: RuleSetLifecycle['status']) => ({
  kind,
  status,
});

const refusal = (run: () => unknown): RuleSetTransitionError => {
  try {
    run();
  } catch (error) {
    if (error instanceof RuleSetTransitionError) return error;
    throw error;
  }
  throw new Error('expected a RuleSetTransitionError');
};

describe('rule set lifecycle', () => {
  describe('registration of a published definition', () => {
    it('is ready at once over an empty history, pending a replay otherwise', () => {
      expect(transition(null, { type: 'registered', historyEmpty: true })).toEqual(
        state('published', 'ready'),
      );
      expect(transition(null, { type: 'registered', historyEmpty: false })).toEqual(
        state('published', 'pending'),
      );
    });

    it('turns a what-if shadow published unchanged into the published set, status and all', () => {
      expect(
        transition(state('shadow', 'building'), { type: 'registered', historyEmpty: false }),
      ).toEqual(state('published', 'building'));
      expect(
        transition(state('shadow', 'ready'), { type: 'registered', historyEmpty: true }),
      ).toEqual(state('published', 'ready'));
    });

    it('changes nothing when redelivered', () => {
      for (const status of ['pending', 'building', 'ready'] as const) {
        expect(
          transition(state('published', status), { type: 'registered', historyEmpty: true }),
        ).toEqual(state('published', status));
      }
    });
  });

  describe('replay', () => {
    it('creates a new set building, as the kind asked', () => {
      expect(transition(null, { type: 'replay_started', kind: 'shadow' })).toEqual(
        state('shadow', 'building'),
      );
    });

    it('builds a pending set, resumes a building one, and keeps its kind', () => {
      expect(
        transition(state('published', 'pending'), { type: 'replay_started', kind: 'shadow' }),
      ).toEqual(state('published', 'building'));
      expect(
        transition(state('shadow', 'building'), { type: 'replay_started', kind: 'shadow' }),
      ).toEqual(state('shadow', 'building'));
    });

    it('refuses to replay a ready set', () => {
      const error = refusal(() =>
        transition(state('published', 'ready'), { type: 'replay_started', kind: 'published' }),
      );
      expect(error.code).toBe('already_ready');
      expect(error.from).toEqual(state('published', 'ready'));
    });

    it('finishes only a building set', () => {
      expect(transition(state('shadow', 'building'), { type: 'replay_finished' })).toEqual(
        state('shadow', 'ready'),
      );
      expect(refusal(() => transition(null, { type: 'replay_finished' })).code).toBe(
        'not_building',
      );
      for (const status of ['pending', 'ready'] as const) {
        const error = refusal(() =>
          transition(state('published', status), { type: 'replay_finished' }),
        );
        expect(error.code).toBe('not_building');
        expect(error.message).toContain(status);
      }
    });
  });

  describe('facts computed by other code', () => {
    it('sends a set of any status back to pending, its kind kept, and it needs a replay', () => {
      for (const kind of ['published', 'shadow'] as const) {
        for (const status of ['pending', 'building', 'ready'] as const) {
          const next = transition(state(kind, status), { type: 'facts_outdated' });
          expect(next).toEqual({ kind, status: 'pending' });
          expect(needsReplay(next)).toBe(true);
          expect(transition(next, { type: 'replay_started', kind: 'shadow' })).toEqual({
            kind,
            status: 'building',
          });
        }
      }
    });
  });

  describe('activation', () => {
    it('takes a ready set, published or a shadow, and needs no replay for it', () => {
      expect(() => assertActivatable(state('published', 'ready'))).not.toThrow();
      expect(() => assertActivatable(state('shadow', 'ready'))).not.toThrow();
      expect(needsReplay(state('published', 'ready'))).toBe(false);
    });

    it('refuses a set that is not ready, saying why, and asks for a replay', () => {
      for (const from of [null, state('published', 'pending'), state('shadow', 'building')]) {
        const error = refusal(() => assertActivatable(from));
        expect(error.code).toBe('not_ready');
        expect(error.message).toMatch(/not replayed|pending|building/);
        expect(needsReplay(from)).toBe(true);
      }
    });
  });
});

describe('the refusal to activate', () => {
  it('names the set and the remedy the caller gives', () => {
    const error = refusal(() =>
      assertActivatable(
        state('published', 'pending'),
        'rules version 2',
        'run tandem rules apply 2',
      ),
    );
    expect(error.message).toBe(
      'rules version 2 is pending: its numbers would be partial; run tandem rules apply 2',
    );
  });
});

describe('the refusal of rows other code computed', () => {
  const ready = (factsVersion: string) => ({ ...state('published', 'ready'), factsVersion });

  it("takes a set this build's code computed, and leaves an unregistered one to assertActivatable", () => {
    expect(() => assertFactsCurrent(ready(ruleFactsVersion()))).not.toThrow();
    expect(() => assertFactsCurrent(null)).not.toThrow();
  });

  it('refuses a ready set whose rows other code computed, naming both versions and the remedy', () => {
    const error = refusal(() =>
      assertFactsCurrent(ready('0-previousbuild'), 'rules version 2', 'apply it'),
    );
    expect(error.code).toBe('facts_outdated');
    expect(error.from).toEqual(state('published', 'ready'));
    expect(error.message).toBe(
      'rules version 2 holds rule-derived rows computed by other code (facts version ' +
        `0-previousbuild, this build's is ${ruleFactsVersion()}): its numbers are not this ` +
        "build's; apply it",
    );
    expect(refusal(() => assertFactsCurrent(ready(''))).message).toMatch(
      /facts version unrecorded/,
    );
  });
});
