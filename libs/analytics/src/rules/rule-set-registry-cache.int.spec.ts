/**
 * The registry as the views read it on every request (RuleSetRegistryCache): read again only
 * when its generation moved, so a request costs one metadata statement while nothing changed,
 * and never answers from a registry older than the tables. Real chDB, the views' reader.
 */
import type { ClickHouseClient } from '@clickhouse/client';
import { defaultFunnelDefinition } from '@tandem/domain';
import { useEmbeddedAnalytics } from '../testing/embedded-analytics.fixture';
import { AnalyticsQueries } from '../views/analytics.queries';
import { newRuleSet, writeActivations, writeRuleSet } from './rule-sets';

const analytics = useEmbeddedAnalytics('rule-set-registry-cache');

/** The reader, with every statement it runs named by its first words. */
function counting(client: ClickHouseClient): { client: ClickHouseClient; statements: string[] } {
  const statements: string[] = [];
  const counted = Object.create(client) as ClickHouseClient;
  counted.query = (params: Parameters<ClickHouseClient['query']>[0]) => {
    const text = params.query.replace(/\s+/g, ' ').trim();
    statements.push(
      text.includes('system.parts')
        ? 'generation'
        : text.includes('checkpoint_lead_id')
          ? 'sets'
          : text.includes('ORDER BY global_position DESC')
            ? 'activation'
            : text.slice(0, 40),
    );
    return client.query(params);
  };
  return { client: counted, statements };
}

const v2 = { ...defaultFunnelDefinition, version: 2, name: 'Stricter' };

describe('the views’ rule set', () => {
  let database: string;
  let queries: AnalyticsQueries;
  let statements: string[];

  beforeEach(async () => {
    database = await analytics.freshDatabase();
    const reader = counting(analytics.reader());
    statements = reader.statements;
    queries = new AnalyticsQueries(analytics.client(), { database, reader: reader.client });
  });

  afterEach(() => queries.close());

  it('reads the registry once, then only its generation while nothing changed', async () => {
    expect(await queries.ruleSet()).toMatchObject({ rulesVersion: 1, status: 'ready' });
    expect(statements.sort()).toEqual(['activation', 'generation', 'sets']);
    statements.length = 0;
    expect(await queries.ruleSet()).toMatchObject({ rulesVersion: 1 });
    expect(await queries.ruleSet({ rulesVersion: 1 })).toMatchObject({ rulesVersion: 1 });
    expect(statements).toEqual(['generation', 'generation']);
  });

  it('answers from the registry as it is after a set is registered, activated or changes status', async () => {
    await queries.ruleSet();
    // A newer published set, no activation yet: the newest published is the active one.
    await writeRuleSet(analytics.client(), newRuleSet(v2, 'published', 'building'), {
      database,
      registration: true,
    });
    expect(await queries.ruleSet()).toMatchObject({ rulesVersion: 2, status: 'building' });
    // Its replay finished.
    await writeRuleSet(analytics.client(), newRuleSet(v2, 'published', 'ready'), { database });
    expect(await queries.ruleSet()).toMatchObject({ rulesVersion: 2, status: 'ready' });
    // Version 1 activated again.
    const v1 = await queries.ruleSet({ rulesVersion: 1 });
    await writeActivations(
      analytics.client(),
      [
        {
          rulesVersion: v1.rulesVersion,
          definitionHash: v1.definitionHash,
          previousVersion: 2,
          eventId: '00000000-0000-4000-8000-000000000001',
          globalPosition: '10',
          activatedAt: '2026-01-01T00:00:00.000Z',
        },
      ],
      { database },
    );
    expect(await queries.ruleSet()).toMatchObject({ rulesVersion: 1 });
  });

  it('reads again after the registry is emptied and written anew (a rebuild)', async () => {
    expect(await queries.ruleSet()).toMatchObject({ rulesVersion: 1, status: 'ready' });
    await analytics.client().command({
      query: 'TRUNCATE TABLE {db:Identifier}.rule_sets',
      query_params: { db: database },
    });
    await writeRuleSet(
      analytics.client(),
      newRuleSet(defaultFunnelDefinition, 'published', 'building'),
      { database, registration: true },
    );
    expect(await queries.ruleSet()).toMatchObject({ rulesVersion: 1, status: 'building' });
  });
});
