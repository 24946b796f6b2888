/**
 * A rule set that is 'ready' but whose rows other code computed (rule_sets.facts_version is not
 * this build's: a deploy changed the classifier or the rules pass, its re-derivation not done)
 * is not usable as it stands: a direct activation is refused (409 `facts_outdated`, naming both
 * versions and `apply`, which re-derives it and then activates it), and so is a what-if report
 * naming it, whose differences would be the code's as much as the rules'. Real engines (PGlite,
 * chDB), through HTTP.
 */
import request from 'supertest';
import type { AnalyticsHandle } from '../apps/funnel-api/src/platform/analytics.provider';
import { ANALYTICS } from '../apps/funnel-api/src/platform/tokens';
import { ruleFactsVersion } from '../libs/analytics/src/rules/rule-facts-version';
import { readRuleSet, ruleSetKey, writeRuleSet } from '../libs/analytics/src/rules/rule-sets';
import { asRole } from './support/auth-headers';
import { eventually } from './support/eventually';
import { funnelApiPerFile, waitForProjection } from './support/funnel-api.fixture';
import { appendScoredLeads, scoredLeads } from './support/scored-leads';
import { stricterDefinition } from './support/stricter-definitions';

jest.setTimeout(180_000);

const suite = funnelApiPerFile('rule-sets-of-other-code', { replayBatchLeads: 10 });

const stricter = stricterDefinition(2, 12);

const activeVersion = async () =>
  (
    (await request(suite.http).get('/ops/rules').set(asRole('ops')).expect(200)).body as {
      active: { rulesVersion: number } | null;
    }
  ).active?.rulesVersion;

async function followed(path: string, id: string): Promise<{ status: string }> {
  return eventually(async () => {
    const { body } = await request(suite.http)
      .get(`${path}/${encodeURIComponent(id)}`)
      .set(asRole('ops'))
      .expect(200);
    const job = body as { status: string };
    return job.status === 'done' || job.status === 'failed' ? job : undefined;
  }, `${path} ${id} ends`);
}

it('refuses to activate or compare a ready set whose rows other code computed; apply re-derives it', async () => {
  await appendScoredLeads(suite.api.store, scoredLeads(40, 31, Date.UTC(2025, 5, 2)));
  await waitForProjection(suite.http);
  await request(suite.http).post('/definitions').set(asRole('ops')).send(stricter).expect(201);
  const replay = await request(suite.http)
    .post('/ops/rules/replays')
    .set(asRole('ops'))
    .send({ version: 2 })
    .expect(202);
  expect(await followed('/ops/rules/replays', (replay.body as { id: string }).id)).toMatchObject({
    status: 'done',
  });

  // Version 2 is ready, its rows as the previous build's code computed them.
  const { client, database } = suite.api.app.get<AnalyticsHandle>(ANALYTICS);
  const key = ruleSetKey(stricter);
  const built = (await readRuleSet(client, key, { database }))!;
  expect(built).toMatchObject({ status: 'ready', factsVersion: ruleFactsVersion() });
  await writeRuleSet(client, { ...built, factsVersion: '0-previousbuild' }, { database });

  const refused = await request(suite.http)
    .post('/ops/rules/activations')
    .set(asRole('ops'))
    .send({ version: 2 })
    .expect(409);
  expect(refused.body).toMatchObject({ status: 409, code: 'facts_outdated' });
  expect((refused.body as { detail: string }).detail).toBe(
    `rules version 2 (sha ${key.definitionHash}) holds rule-derived rows computed by other code ` +
      `(facts version 0-previousbuild, this build's is ${ruleFactsVersion()}): its numbers are ` +
      `not this build's; apply it (POST /ops/rules/applies {"version": 2}, or tandem rules apply 2), ` +
      'which re-derives it and then activates it',
  );
  expect(await activeVersion()).toBe(1);

  for (const query of ['candidateVersion=2', 'baseVersion=2&candidateVersion=1']) {
    const report = await request(suite.http)
      .get(`/analytics/rules/compare?${query}`)
      .set(asRole('analyst'))
      .expect(409);
    expect(report.body).toMatchObject({ code: 'facts_outdated' });
    expect((report.body as { detail: string }).detail).toMatch(
      /^rules version 2 .* computed by other code .*re-derive it with a replay first \(POST \/ops\/rules\/replays with its version\)$/,
    );
  }

  // The remedy named: apply re-derives the set by this code, then activates it.
  const applied = await request(suite.http)
    .post('/ops/rules/applies')
    .set(asRole('ops'))
    .send({ version: 2 });
  expect([200, 202]).toContain(applied.status);
  expect(await followed('/ops/rules/applies', (applied.body as { id: string }).id)).toMatchObject({
    status: 'done',
  });
  expect(await readRuleSet(client, key, { database })).toMatchObject({
    status: 'ready',
    factsVersion: ruleFactsVersion(),
  });
  expect(await activeVersion()).toBe(2);
  await request(suite.http)
    .get('/analytics/rules/compare?baseVersion=1&candidateVersion=2')
    .set(asRole('analyst'))
    .expect(200);
});
