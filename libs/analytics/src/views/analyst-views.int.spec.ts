/**
 * The lenses analysts query in ClickHouse (clickhouse/analyst-views.ts) give the API's answer:
 * each parameterised view, read with literal arguments as from any SQL tool and parsed by the
 * API's own row parser, equals the AnalyticsQueries method under the same rule set, window and
 * as-of — both "now" (the API reads the kept state, the view folds the events) and as of a
 * date inside the history. Real chDB, the shared funnel scenario.
 */
import type { ClickHouseClient } from '@clickhouse/client';
import { defaultFunnelDefinition, resolveAttributionWeights } from '@tandem/domain';
import { analystViewDefinitions, analystViews } from '../clickhouse/analyst-views';
import { projectBatch } from '../projection/lead-events.writer';
import { readRuleSets, writeActivations, type RuleSet } from '../rules/rule-sets';
import { registerRuleSet } from '../testing/rule-sets.fixture';
import { useEmbeddedAnalytics } from '../testing/embedded-analytics.fixture';
import { funnelScenario } from '../testing/funnel-scenario.fixture';
import { AnalyticsQueries, type ViewOptions } from './analytics.queries';
import {
  parseFunnelLeadRows,
  parseFunnelTrendRows,
  parseAccountLensRows,
  parseAlignmentRows,
  parseCohortFunnelRows,
  parseFunnelStageRows,
  parseMarketingAttributionRows,
  parseMarketingLensRows,
  parseSalesLensRows,
  parseSalesPerformanceRows,
  parseSharedTotals,
  parseStageDurationRows,
  parseTargetProgressRows,
} from './analytics.rows';

const analytics = useEmbeddedAnalytics('analyst-views');
let client: ClickHouseClient;
let database: string;
let queries: AnalyticsQueries;
let rules: RuleSet;

const NOW = '2299-12-31 23:59:59.999';
const ALL = { captured_from: '1900-01-01 00:00:00', captured_to: NOW };

/**
 * A parameterised view's arguments are literals (ClickHouse binds no {param} there), so this
 * test writes them; every value is the test's own and must look like a number, a hash, a
 * timestamp or a code word.
 */
async function readView(name: string, args: Record<string, string | number>): Promise<unknown> {
  const list = Object.entries(args).map(([key, value]) => {
    if (typeof value === 'number') return `${key} = ${value}`;
    expect(value).toMatch(/^[\w .:-]*$/);
    return `${key} = '${value}'`;
  });
  const argumentList = list.length === 0 ? '' : `(${list.join(', ')})`;
  const result = await client.query({
    query: `SELECT * FROM \`${database}\`.\`${name}\`${argumentList}`,
    format: 'JSONEachRow',
  });
  return result.json();
}

const ruleArgs = () => ({
  rules_version: rules.rulesVersion,
  definition_hash: rules.definitionHash,
});

beforeAll(async () => {
  client = analytics.client();
  database = await analytics.freshDatabase();
  const { envelopes } = funnelScenario();
  await projectBatch(client, envelopes, { database });
  queries = new AnalyticsQueries(client, { reader: analytics.reader(), database });
  const sets = await readRuleSets(client, { database });
  rules = sets[0]!;
});

describe.each([
  { when: 'now', asOf: undefined, as_of: NOW },
  {
    when: 'as of a date inside the history',
    asOf: '2025-01-06T09:30:00Z',
    as_of: '2025-01-06 09:30:00',
  },
])('read $when', ({ asOf, as_of }) => {
  const options = (): ViewOptions => ({ rules, ...(asOf === undefined ? {} : { asOf }) });
  const scoped = () => ({ ...ruleArgs(), as_of, ...ALL });

  it('shared funnel, time in stage, cohorts', async () => {
    // The scenario's events are a minute apart from 09:00: half of them are past 09:30.
    const now = await queries.sharedFunnel({ rules });
    if (asOf !== undefined) expect(await queries.sharedFunnel(options())).not.toEqual(now);
    expect(parseFunnelStageRows(await readView('shared_funnel', scoped()))).toEqual(
      await queries.sharedFunnel(options()),
    );
    expect(parseStageDurationRows(await readView('funnel_time_in_stage', scoped()))).toEqual(
      await queries.funnelTimeInStage(options()),
    );
    expect(
      parseCohortFunnelRows(
        await readView('funnel_by_cohort', {
          ...scoped(),
          grain: 'month',
          // The API binds the rule set's reporting time zone; an analyst passes it.
          time_zone: 'UTC',
        }),
      ),
    ).toEqual(await queries.funnelByCohort('month', options()));
    expect(
      parseFunnelTrendRows(
        await readView('funnel_trend', {
          ...scoped(),
          grain: 'quarter',
          time_zone: 'UTC',
          fiscal_start_month: 1,
        }),
      ),
    ).toEqual(await queries.funnelTrend('quarter', options()));
    const allPeriods = { grain: '', period: '1970-01-01', time_zone: 'UTC', fiscal_start_month: 1 };
    expect(
      parseFunnelLeadRows(
        await readView('funnel_leads', { ...scoped(), stage: 'mql', ...allPeriods }),
      ),
    ).toEqual(await queries.funnelLeads('mql', options()));
    // A trend point's leads: the MQLs of the scenario's week.
    expect(
      parseFunnelLeadRows(
        await readView('funnel_leads', {
          ...scoped(),
          stage: 'mql',
          ...allPeriods,
          grain: 'week',
          period: '2025-01-06',
        }),
      ),
    ).toEqual(await queries.funnelLeads('mql', options(), { grain: 'week', period: '2025-01-06' }));
  });

  it('marketing lens and attribution', async () => {
    const marketing = await queries.marketingLens(options());
    expect(marketing.length).toBeGreaterThan(0);
    expect(parseMarketingLensRows(await readView('marketing_lens', scoped()))).toEqual(marketing);
    const weights = resolveAttributionWeights(rules.definition.attribution, 'w_shaped');
    const attribution = await readView('marketing_attribution', {
      ...scoped(),
      model: 'w_shaped',
      weight_first: weights.firstTouch,
      weight_lead_creation: weights.leadCreation,
      weight_opportunity_creation: weights.opportunityCreation,
      weight_closed_won: weights.closedWon,
      weight_others: weights.others,
      half_life_ms: weights.halfLifeMs,
    });
    expect(parseMarketingAttributionRows(attribution)).toEqual(
      await queries.marketingAttribution('w_shaped', options()),
    );
  });

  it('sales lens, sales performance, accounts', async () => {
    expect(parseSalesLensRows(await readView('sales_lens', scoped()))).toEqual(
      await queries.salesLens(options()),
    );
    expect(parseSalesPerformanceRows(await readView('sales_performance', scoped()))).toEqual(
      await queries.salesPerformance(options()),
    );
    expect(parseAccountLensRows(await readView('account_lens', scoped()))).toEqual(
      await queries.accountLens(options()),
    );
  });

  it('alignment judged at as_of, and targets', async () => {
    // The API judges open hand-offs at its asOf (the request time without one); the view at
    // judged_at. Judged at the same time, they agree.
    const judged = await readView('alignment', { ...scoped(), judged_at: as_of });
    expect(parseAlignmentRows(judged)).toEqual(
      await queries.alignment({ rules, asOf: asOf ?? '2299-12-31T23:59:59.999Z' }),
    );
    expect(
      parseTargetProgressRows(
        await readView('targets_progress', {
          ...ruleArgs(),
          as_of,
          time_zone: 'UTC',
          fiscal_start_month: 1,
        }),
      ),
    ).toEqual(await queries.targetsProgress(options()));
  });
});

it('event totals is a plain view, equal to the API witness', async () => {
  expect(parseSharedTotals(await readView('event_totals', {}))).toEqual(
    await queries.eventTotals(),
  );
});

it('active_rule_set names the set the API reads by default, before and after an activation', async () => {
  const expectSameAsApi = async (rulesVersion: number) => {
    const active = await queries.ruleSet();
    expect(active.rulesVersion).toBe(rulesVersion);
    expect(await readView('active_rule_set', {})).toEqual([
      { rules_version: active.rulesVersion, definition_hash: active.definitionHash },
    ]);
  };
  await expectSameAsApi(1);
  // A newer published set is the default until an activation names another.
  const stricter = { ...defaultFunnelDefinition, version: 2, name: 'Stricter' };
  await registerRuleSet(client, database, stricter);
  await expectSameAsApi(2);
  await writeActivations(
    client,
    [
      {
        rulesVersion: rules.rulesVersion,
        definitionHash: rules.definitionHash,
        previousVersion: 2,
        eventId: '0190f0f0-0000-7000-8000-000000000001',
        globalPosition: '9000',
        activatedAt: '2025-02-01T00:00:00.000Z',
      },
    ],
    { database },
  );
  await expectSameAsApi(1);
});

it('every analyst view names its parameters; none is left to the application', async () => {
  const definitions = await analystViewDefinitions({ database });
  expect(definitions.map((definition) => definition.name)).toEqual(Object.keys(analystViews));
  for (const definition of definitions) {
    expect(definition.select).not.toContain('{{');
    const names = definition.parameters.map((parameter) => parameter.name);
    expect(names).not.toContain('db');
    expect(names).not.toContain('sla_ms');
    expect(names).not.toContain('recorded_version');
  }
  const lens = definitions.find((definition) => definition.name === 'marketing_lens');
  expect(lens?.parameters.map((parameter) => parameter.name).sort()).toEqual(
    ['as_of', 'captured_from', 'captured_to', 'definition_hash', 'rules_version'].sort(),
  );
});
