/**
 * RuleSetRepository on chDB: what the apps see of rule sets goes through it — a draft saved as a
 * shadow, promoted when published unchanged, replayed to ready, and the views' activation read
 * back by position.
 */
import { defaultFunnelDefinition, type FunnelDefinition } from '@tandem/domain';
import { useEmbeddedAnalytics } from '../testing/embedded-analytics.fixture';
import { RuleSetRepository } from './rule-set.repository';
import { newRuleSet, ruleSetKey, writeActivations } from './rule-sets';

const analytics = useEmbeddedAnalytics('rule-set-repository');

const draft: FunnelDefinition = {
  ...defaultFunnelDefinition,
  version: defaultFunnelDefinition.version + 1,
  name: 'stricter draft',
};

it('keeps a draft as a shadow, promotes it, replays it to ready, and reads the activation', async () => {
  const database = await analytics.freshDatabase();
  const repository = new RuleSetRepository(analytics.client(), { database });
  const key = ruleSetKey(draft);
  expect(await repository.find(key)).toBeNull();

  await repository.save(newRuleSet(draft, 'shadow', 'pending'));
  const shadow = await repository.find(key);
  expect(shadow).toMatchObject({ kind: 'shadow', status: 'pending', name: 'stricter draft' });

  const promoted = await repository.promoteToPublished(shadow!);
  expect(promoted).toMatchObject({ kind: 'published', status: 'pending' });
  expect(await repository.find(key)).toMatchObject({ kind: 'published', status: 'pending' });
  // Version-only selection finds the published set of that version.
  expect(await repository.resolve({ rulesVersion: draft.version })).toMatchObject(key);

  const replayed = await repository.replay(promoted, { owner: 'repository-spec' });
  expect(replayed).toMatchObject({ kind: 'published', status: 'ready', owner: 'repository-spec' });
  expect((await repository.list()).map((set) => [set.rulesVersion, set.status])).toEqual([
    [defaultFunnelDefinition.version, 'ready'],
    [draft.version, 'ready'],
  ]);

  // Before any activation the views read the newest published set; after one, its set.
  expect(await repository.active()).toMatchObject(key);
  expect(await repository.viewsRead(key, 1n)).toBe(false);
  const first = ruleSetKey(defaultFunnelDefinition);
  await writeActivations(
    analytics.client(),
    [
      {
        ...first,
        previousVersion: null,
        eventId: '01a228fc-0000-7000-8000-000000000001',
        globalPosition: '7',
        activatedAt: new Date().toISOString(),
      },
    ],
    { database },
  );
  expect(await repository.activation()).toEqual({ ...first, globalPosition: '7' });
  expect(await repository.active()).toMatchObject(first);
  expect(await repository.viewsRead(first, 7n)).toBe(true);
  expect(await repository.viewsRead(first, 8n)).toBe(false);
  expect(await repository.viewsRead(key, 7n)).toBe(false);
});
