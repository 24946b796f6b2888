import {
  ActivationChangedError,
  ActiveVersionChangedError,
  DefinitionVersionNotFoundError,
  InvalidDefinitionError,
  RuleViolationError,
  type DomainError,
} from '../errors';
import { defaultFunnelDefinition } from '../rules/default-funnel-definition';
import { definitionHash } from '../rules/definition-hash';
import type { FunnelDefinition } from '../rules/funnel-definition';
import type { DictionaryCommand } from './dictionary.commands';
import { decideDictionary } from './dictionary.decider';
import {
  type DictionaryEvent,
  evolveDictionary,
  initialDictionaryState,
  versionInForce,
} from './dictionary.state';

/** given events → when command → then events, or then error. */
function given(events: DictionaryEvent[]) {
  const state = events.reduce(evolveDictionary, initialDictionaryState());
  const run = (command: DictionaryCommand) => decideDictionary(command, state);
  return {
    state,
    when: (command: DictionaryCommand) => ({
      then: (expected: DictionaryEvent[]) => expect(run(command)).toEqual(expected),
      thenFails: (error: new (...args: never[]) => DomainError, message?: RegExp) => {
        expect(() => run(command)).toThrow(error);
        if (message) expect(() => run(command)).toThrow(message);
      },
    }),
  };
}

const v = (version: number): FunnelDefinition => ({ ...defaultFunnelDefinition, version });
const published = (version: number): DictionaryEvent => ({
  type: 'FunnelDefinitionPublished',
  data: { version, definition: v(version) },
});
const activated = (version: number, previousVersion: number | null): DictionaryEvent => ({
  type: 'FunnelDefinitionActivated',
  data: { version, definitionHash: definitionHash(v(version)), previousVersion },
});
const publish = (draft: unknown): DictionaryCommand => ({
  type: 'PublishFunnelDefinition',
  data: { draft },
});
const activate = (version: number, expectedActiveVersion?: number): DictionaryCommand => ({
  type: 'ActivateFunnelDefinition',
  data: { version, expectedActiveVersion },
});
/** An activation as read from the store: with its event id. */
const activatedAs = (eventId: string, version: number, previousVersion: number | null) => ({
  ...activated(version, previousVersion),
  eventId,
});
const activateOver = (version: number, expectedActivationId: string): DictionaryCommand => ({
  type: 'ActivateFunnelDefinition',
  data: { version, expectedActivationId },
});
const ensure = (shippedDefault: FunnelDefinition = v(1)): DictionaryCommand => ({
  type: 'EnsureDefinitionInForce',
  data: { shippedDefault },
});

describe('the shared dictionary decider', () => {
  describe('EnsureDefinitionInForce', () => {
    it('publishes and activates the shipped default on an empty stream', () => {
      given([])
        .when(ensure())
        .then([published(1), activated(1, null)]);
    });

    it('activates the newest published version of a stream written before activations', () => {
      given([published(1), published(2)])
        .when(ensure())
        .then([activated(2, null)]);
    });

    it('changes nothing once a version is in force', () => {
      given([published(1), activated(1, null)])
        .when(ensure())
        .then([]);
    });
  });

  describe('PublishFunnelDefinition', () => {
    it('records the next version without putting it in force', () => {
      const history = given([published(1), activated(1, null)]);
      history.when(publish(v(2))).then([published(2)]);
      expect(versionInForce(history.state)?.version).toBe(1);
    });

    it('refuses a version that is not the next one', () => {
      given([published(1), activated(1, null)])
        .when(publish(v(3)))
        .thenFails(RuleViolationError, /version must be 2/);
      given([published(1), activated(1, null)])
        .when(publish({ ...v(1), mql: { ...v(1).mql, threshold: 99 } }))
        .thenFails(RuleViolationError, /version must be 2/);
    });

    it('says so when the draft is the very definition of a published version (a retry)', () => {
      given([published(1), published(2), activated(1, null)])
        .when(publish(v(2)))
        .thenFails(RuleViolationError, /version 2 is already published with this very definition/);
    });

    it('names every bad field of an invalid draft', () => {
      given([published(1)])
        .when(publish({ ...v(2), mql: { threshold: 'high' } }))
        .thenFails(InvalidDefinitionError, /mql/);
      given([]).when(publish('not a definition')).thenFails(InvalidDefinitionError);
    });

    it('refuses a list that repeats a code: a criterion listed twice could never be met', () => {
      const draft = {
        ...v(2),
        sql: { criteria: ['budget', 'budget', 'budget', 'need'], minimumMet: 3 },
        opportunityStages: ['discovery', 'discovery'],
      };
      const refusal = (() => {
        try {
          decideDictionary(publish(draft), given([published(1)]).state);
        } catch (error) {
          return error;
        }
      })();
      expect(refusal).toBeInstanceOf(InvalidDefinitionError);
      expect((refusal as InvalidDefinitionError).issues).toEqual([
        { path: 'sql.criteria', message: 'must not repeat a value' },
        { path: 'opportunityStages', message: 'must not repeat a value' },
      ]);
    });

    it('refuses an ICP country no lead can have (ZZ, EU), naming it; XK is published', () => {
      const icp = (countries: string[]) => ({
        ...v(2),
        icp: { ...defaultFunnelDefinition.icp, countries },
      });
      const refusal = (() => {
        try {
          decideDictionary(publish(icp(['IT', 'ZZ', 'EU'])), given([published(1)]).state);
        } catch (error) {
          return error;
        }
      })();
      expect(refusal).toBeInstanceOf(InvalidDefinitionError);
      expect((refusal as InvalidDefinitionError).issues.map((issue) => issue.path)).toEqual([
        'icp.countries.1',
        'icp.countries.2',
      ]);
      given([published(1)])
        .when(publish(icp(['IT', 'XK'])))
        .then([
          {
            type: 'FunnelDefinitionPublished',
            data: { version: 2, definition: icp(['IT', 'XK']) },
          },
        ]);
    });

    it('a version published with such a country before stays in history and can be activated', () => {
      const earlier = { ...v(2), icp: { ...defaultFunnelDefinition.icp, countries: ['ZZ'] } };
      given([
        published(1),
        activated(1, null),
        { type: 'FunnelDefinitionPublished', data: { version: 2, definition: earlier } },
      ])
        .when(activate(2))
        .then([
          {
            type: 'FunnelDefinitionActivated',
            data: { version: 2, definitionHash: definitionHash(earlier), previousVersion: 1 },
          },
        ]);
    });

    it('names text the store cannot hold (NUL, a lone surrogate) by its field', () => {
      const [first, ...rest] = defaultFunnelDefinition.stages;
      const draft = {
        ...v(2),
        description: 'a\u0000b',
        stages: [{ ...first!, label: 'Lead \uD800 captured' }, ...rest],
      };
      given([published(1)])
        .when(publish(draft))
        .thenFails(InvalidDefinitionError, /description: must not contain U\+0000/);
      given([published(1)])
        .when(publish(draft))
        .thenFails(InvalidDefinitionError, /stages\.0\.label: must not contain U\+0000/);
    });

    it('refuses a label or list value past 500 characters, naming it; 500 is published', () => {
      const [first, ...rest] = defaultFunnelDefinition.stages;
      const long = {
        ...v(2),
        stages: [{ ...first!, label: 'x'.repeat(500_000) }, ...rest],
        icp: { ...defaultFunnelDefinition.icp, industries: ['y'.repeat(501)] },
      };
      const refusal = (() => {
        try {
          decideDictionary(publish(long), given([published(1)]).state);
        } catch (error) {
          return error;
        }
      })();
      expect(refusal).toBeInstanceOf(InvalidDefinitionError);
      expect((refusal as InvalidDefinitionError).issues).toEqual([
        { path: 'stages.0.label', message: 'must be at most 500 characters' },
        { path: 'icp.industries.0', message: 'must be at most 500 characters' },
      ]);
      const atTheBound = {
        ...v(2),
        description: 'd'.repeat(4000),
        stages: [{ ...first!, label: 'x'.repeat(500) }, ...rest],
      };
      given([published(1)])
        .when(publish(atTheBound))
        .then([
          { type: 'FunnelDefinitionPublished', data: { version: 2, definition: atTheBound } },
        ]);
    });
    it('refuses a list past 1,000 entries, naming it; 1,000 is published', () => {
      const industries = (count: number) =>
        Array.from({ length: count }, (_, index) => `industry ${index}`);
      given([published(1)])
        .when(
          publish({
            ...v(2),
            icp: { ...defaultFunnelDefinition.icp, industries: industries(1001) },
          }),
        )
        .thenFails(
          InvalidDefinitionError,
          /icp\.industries: must list at most 1000 entries \(has 1001\)/,
        );
      const atTheBound = {
        ...v(2),
        icp: { ...defaultFunnelDefinition.icp, industries: industries(1000) },
      };
      given([published(1)])
        .when(publish(atTheBound))
        .then([
          { type: 'FunnelDefinitionPublished', data: { version: 2, definition: atTheBound } },
        ]);
    });
  });

  describe('PublishFunnelDefinition: labels', () => {
    const invisible = /must contain at least one visible character/;

    /** Every issue publishing `draft` after version 1 is refused with (it must be refused). */
    const publishIssues = (draft: unknown) => {
      let failure: unknown;
      try {
        decideDictionary(publish(draft), given([published(1)]).state);
      } catch (error) {
        failure = error;
      }
      expect(failure).toBeInstanceOf(InvalidDefinitionError);
      return (failure as InvalidDefinitionError).issues;
    };

    it('refuses a label of spaces only, naming it', () => {
      const [first, ...rest] = defaultFunnelDefinition.stages;
      const draft = { ...v(2), stages: [{ ...first!, label: '   ' }, ...rest] };
      given([published(1)])
        .when(publish(draft))
        .thenFails(InvalidDefinitionError, /stages\.0\.label: must contain at least one visible/);
    });

    // Zero-width space, word joiner, BOM, soft hyphen, a combining mark alone, a Hangul filler.
    it.each(['\u200B', '\u200C\u200D', '\u2060', '\uFEFF', '\u00AD', '\u0301', '\u3164'])(
      'refuses a name, label or ICP value made only of invisible characters (%j), naming each',
      (blank) => {
        const [first, ...rest] = defaultFunnelDefinition.stages;
        const draft = {
          ...v(2),
          name: blank,
          stages: [{ ...first!, label: blank }, ...rest],
          icp: { ...defaultFunnelDefinition.icp, industries: ['saas', blank] },
          rejectionReasons: [{ code: 'invisible', label: `${blank} ` }],
        };
        const paths = publishIssues(draft)
          .filter((issue) => invisible.test(issue.message))
          .map((issue) => issue.path);
        expect(paths).toEqual([
          'name',
          'stages.0.label',
          'icp.industries.1',
          'rejectionReasons.0.label',
        ]);
      },
    );

    // A stage `Won\u200B` beside `Won`; a reason whose letters U+202E shows reversed.
    it('refuses a label, code or ICP value hiding a character or reordering text, naming the code point', () => {
      const [first, ...rest] = defaultFunnelDefinition.stages;
      const draft = {
        ...v(2),
        description: 'prose may keep marks \u200F of direction',
        stages: [{ ...first!, label: 'Won\u200B' }, ...rest],
        icp: { ...defaultFunnelDefinition.icp, industries: ['saas', 'w\u200Deb'] },
        rejectionReasons: [{ code: 'spoof', label: 'budget \u202Etegdub' }],
      };
      const hidden = (codePoint: string) =>
        `must not contain ${codePoint}, an invisible or bidirectional control character`;
      expect(publishIssues(draft)).toEqual([
        { path: 'stages.0.label', message: hidden('U+200B') },
        { path: 'icp.industries.1', message: hidden('U+200D') },
        { path: 'rejectionReasons.0.label', message: hidden('U+202E') },
      ]);
      const persian = { ...v(2), rejectionReasons: [{ code: 'later', label: 'می\u200Cخواهم' }] };
      given([published(1)])
        .when(publish(persian))
        .then([{ type: 'FunnelDefinitionPublished', data: { version: 2, definition: persian } }]);
    });

    it('takes a description left empty, and names of any script with marks on letters, in NFC', () => {
      const draft = {
        ...v(2),
        description: '',
        name: 'Cafe\u0301 — 漢字 😀',
        // A joiner where a script joins (ADR 0010's addendum); `a\u200Bb` is refused now.
        icp: { ...defaultFunnelDefinition.icp, industries: ['saas', '\u0915\u094D\u200D\u0937'] },
      };
      // The decomposed é is published composed (parseDefinitionToPublish, ADR 0010).
      const definition = { ...draft, name: 'Caf\u00e9 — 漢字 😀' };
      given([published(1)])
        .when(publish(draft))
        .then([{ type: 'FunnelDefinitionPublished', data: { version: 2, definition } }]);
    });
  });

  describe('ActivateFunnelDefinition', () => {
    it('puts a published version in force and names the one it replaces', () => {
      given([published(1), activated(1, null), published(2)])
        .when(activate(2))
        .then([activated(2, 1)]);
    });

    it('rolls back to an older version the same way', () => {
      given([published(1), activated(1, null), published(2), activated(2, 1)])
        .when(activate(1))
        .then([activated(1, 2)]);
    });

    it('replaces the implicit version of a legacy stream', () => {
      given([published(1), published(2)])
        .when(activate(1))
        .then([activated(1, 2)]);
    });

    it('is a no-op for the version already activated (a safe retry)', () => {
      given([published(1), activated(1, null)])
        .when(activate(1))
        .then([]);
    });

    it('activates under expectedActiveVersion while that version is in force', () => {
      given([published(1), activated(1, null), published(2)])
        .when(activate(2, 1))
        .then([activated(2, 1)]);
    });

    it('refuses a late retry under expectedActiveVersion once another version was activated', () => {
      // v2 asked with v1 in force, answered but the answer lost; v3 activated since; the retry
      // of the v2 request arrives: rolling v3 back is not what either caller asked for.
      given([published(1), activated(1, null), published(2), published(3), activated(3, 1)])
        .when(activate(2, 1))
        .thenFails(
          ActiveVersionChangedError,
          /expected version 1 in force, but version 3 is \(activated since\)/,
        );
    });

    it('is still a no-op under expectedActiveVersion for the version already activated', () => {
      given([published(1), activated(1, null), published(2), activated(2, 1)])
        .when(activate(2, 1))
        .then([]);
    });

    it('activates under expectedActivationId while that activation is in force', () => {
      given([published(1), activatedAs('a1', 1, null), published(2)])
        .when(activateOver(2, 'a1'))
        .then([activated(2, 1)]);
    });

    it('refuses a late retry under expectedActivationId after A → B → A', () => {
      // v2 asked over activation a1 of v1, answered but the answer lost; then v1 was activated
      // again (a roll-back, a3). The version in force is the one the retry expected, the
      // activation is not: expectedActiveVersion would let it roll the roll-back back.
      const history = [
        published(1),
        activatedAs('a1', 1, null),
        published(2),
        activatedAs('a2', 2, 1),
        activatedAs('a3', 1, 2),
      ];
      given(history)
        .when(activate(2, 1))
        .then([activated(2, 1)]);
      given(history)
        .when(activateOver(2, 'a1'))
        .thenFails(
          ActivationChangedError,
          /^version 2 was not activated: the request expected activation a1 in force, but activation a3 \(version 1\) is/,
        );
    });

    it('is still a no-op under expectedActivationId for the version already activated', () => {
      given([published(1), activatedAs('a1', 1, null), published(2), activatedAs('a2', 2, 1)])
        .when(activateOver(2, 'a1'))
        .then([]);
    });

    it('refuses a version that was never published', () => {
      given([published(1), activated(1, null)])
        .when(activate(7))
        .thenFails(DefinitionVersionNotFoundError, /version 7/);
    });
  });

  it('folds to the version in force whatever the order of publications and activations', () => {
    const { state } = given([
      published(1),
      activated(1, null),
      published(2),
      published(3),
      activated(3, 1),
    ]);
    expect(versionInForce(state)).toEqual({ version: 3, definitionHash: definitionHash(v(3)) });
    expect(state.published.map((entry) => entry.version)).toEqual([1, 2, 3]);
  });
});
