/**
 * docs/analytics.md is runnable: every ```sql block in it runs against chDB over a seeded
 * history (the shared funnel scenario, projected into a database named `tandem` as the docs
 * assume) and returns rows; an example that fails, or finds nothing, fails here. It also
 * checks the page names every analyst view and every parameter each one takes, so a view or a
 * parameter added to sql/views cannot go undocumented.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { analystViewDefinitions } from '../clickhouse/analyst-views';
import { migrate } from '../clickhouse/analytics.migrations';
import { projectBatch } from '../projection/lead-events.writer';
import { useEmbeddedAnalytics } from '../testing/embedded-analytics.fixture';
import { funnelScenario } from '../testing/funnel-scenario.fixture';
import { registerRuleSet } from '../testing/rule-sets.fixture';

const analytics = useEmbeddedAnalytics('analytics-docs');
const DOCS = join(__dirname, '..', '..', '..', '..', 'docs', 'analytics.md');

/** The ```sql fenced blocks of a markdown page, in order. */
function sqlBlocks(markdown: string): string[] {
  return [...markdown.matchAll(/^```sql\n([\s\S]*?)^```$/gm)].map((match) => match[1]!.trim());
}

// Read when the spec is defined: it.each needs the blocks before any hook runs.
const docs = readFileSync(DOCS, 'utf8');

beforeAll(async () => {
  const client = analytics.client();
  // The docs say `tandem.`: this spec's chDB directory is its own, so the name is free.
  await migrate(client, { database: 'tandem' });
  await registerRuleSet(client, 'tandem');
  await projectBatch(client, funnelScenario().envelopes, { database: 'tandem' });
});

it('has SQL examples to run', () => {
  expect(sqlBlocks(docs).length).toBeGreaterThanOrEqual(8);
});

it.each(sqlBlocks(docs).map((sql) => [sql]))('runs and finds rows: %s', async (sql) => {
  const result = await analytics.client().query({ query: sql, format: 'JSONEachRow' });
  expect((await result.json()).length).toBeGreaterThan(0);
});

it('names every analyst view and each of its parameters', async () => {
  for (const view of await analystViewDefinitions({ database: 'tandem' })) {
    expect(docs).toContain(`\`${view.name}\``);
    for (const parameter of view.parameters) expect(docs).toContain(`\`${parameter.name}\``);
  }
});
