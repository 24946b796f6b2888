/**
 * The trend and the targets read from a snapshot's day rollup answer exactly what they answer
 * from the kept state: every grain and calendar, for the active set and a what-if set, while
 * events keep arriving after the snapshot, beside a rollup killed before its marker, and after
 * a rebuild; and a kept rollup equals its recomputation from the state. chDB, one database per
 * test.
 */
import type { ClickHouseClient } from '@clickhouse/client';
import { CLICKHOUSE_TIME_ZONES, exactTimeZoneName, type FunnelDefinition } from '@tandem/domain';
import { AnalyticsQueries } from '../analytics.queries';
import { resetAnalytics } from '../../projection/lead-events.writer';
import { newRuleSet, writeRuleSet, type RuleSet } from '../../rules/rule-sets';
import { useEmbeddedAnalytics } from '../../testing/embedded-analytics.fixture';
import {
  countQueries,
  countRows,
  lowerMqlThreshold,
  startProjection,
  whileBuildsSuspended,
} from '../../testing/kept-tables.fixture';
import { funnelScenario } from '../../testing/funnel-scenario.fixture';
import { composeLeadFunnel, composeRollupMoments, readViewFile } from '../../clickhouse/view-sql';
import { resolveSqlDirectory } from '../../clickhouse/sql-directory';
import { UNBOUNDED_CAPTURE } from './funnel-rollups';
import { batches } from '../../testing/event-log.fixture';

jest.setTimeout(600_000);

const analytics = useEmbeddedAnalytics('funnel-rollups-int');
let client: ClickHouseClient;
beforeAll(() => {
  client = analytics.client();
});

const whatIf: FunnelDefinition = lowerMqlThreshold;

const ROME = { timeZone: 'Europe/Rome', fiscalYearStartMonth: 4 };

/** Every request of the two views a rollup serves, and the ones it must leave to the funnel. */
async function rolledUpViews(queries: AnalyticsQueries, rules: RuleSet): Promise<string> {
  const scope = { rules };
  const rome = { rules, calendar: ROME };
  const kathmandu = { rules, calendar: { timeZone: 'Asia/Kathmandu', fiscalYearStartMonth: 11 } };
  const windowed = {
    rules,
    capturedFrom: '2025-01-15T00:00:00Z',
    capturedTo: '2025-03-01T00:00:00Z',
  };
  const answers = {
    trendWeek: await queries.funnelTrend('week', scope),
    trendMonth: await queries.funnelTrend('month', scope),
    trendQuarter: await queries.funnelTrend('quarter', scope),
    trendMonthRome: await queries.funnelTrend('month', rome),
    trendQuarterRome: await queries.funnelTrend('quarter', rome),
    trendWeekKathmandu: await queries.funnelTrend('week', kathmandu),
    trendWindowed: await queries.funnelTrend('week', windowed),
    trendAsOf: await queries.funnelTrend('month', { rules, asOf: '2025-02-10T00:00:00Z' }),
    targets: await queries.targetsProgress(scope),
    targetsRome: await queries.targetsProgress(rome),
    targetsKathmandu: await queries.targetsProgress(kathmandu),
    targetsAsOf: await queries.targetsProgress({ rules, asOf: '2025-02-10T00:00:00Z' }),
  };
  return JSON.stringify(answers, null, 1);
}

const project = (database: string) => startProjection(client, database);

/** The statements a call sends (views read on the read client) that read a kept rollup. */
const rollupReads = (work: () => Promise<unknown>) =>
  countQueries(analytics.reader(), work, (sql) => /\.lead_funnel_rollups\s/.test(sql));

const count = (database: string, table: string) => countRows(client, database, table);

/** Targets of both metrics kinds, so the targets view has rows to compare. */
async function setTargets(database: string): Promise<void> {
  await client.command({
    query: `
      INSERT INTO {db:Identifier}.targets
          (team, metric, period, owner, period_start, period_end, value, event_id, global_position, recorded_at)
      VALUES
          ('marketing', 'mqls', '2025-01', '', '2025-01-01', '2025-02-01', 10, generateUUIDv4(), 1, now64(3)),
          ('marketing', 'leads', '2025-Q1', '', '2025-01-01', '2025-04-01', 20, generateUUIDv4(), 2, now64(3)),
          ('sales', 'won_revenue', '2025-Q1', '', '2025-01-01', '2025-04-01', 1000, generateUUIDv4(), 3, now64(3)),
          ('sales', 'pipeline', '2025-02', '', '2025-02-01', '2025-03-01', 500, generateUUIDv4(), 4, now64(3))`,
    query_params: { db: database },
  });
}

/** A fresh database with targets, read from the kept state and from snapshots and rollups. */
async function freshQueries() {
  const database = await analytics.freshDatabase();
  await setTargets(database);
  const reader = analytics.reader();
  return {
    database,
    state: new AnalyticsQueries(client, { reader, database }),
    rolled: new AnalyticsQueries(client, { reader, database, snapshots: true }),
  };
}

it('answers the trend and the targets as the state does, before and after more events', async () => {
  const { database, state, rolled } = await freshQueries();
  const shadow = newRuleSet(whatIf, 'shadow', 'ready');
  await writeRuleSet(client, shadow, { database });
  const { envelopes } = funnelScenario();
  const parts = batches(envelopes, 9);
  const projection = await project(database);
  const half = Math.floor(parts.length / 2);
  for (const batch of parts.slice(0, half)) await projection.project(batch, { atHead: true });

  const active = await state.ruleSet();
  for (const rules of [active, shadow]) {
    expect(await rolled.takeSnapshot(rules)).not.toBeNull();
    for (const zone of ['UTC', ROME.timeZone, 'Asia/Kathmandu']) {
      expect(await rolled.takeRollup(rules, zone)).not.toBeNull();
    }
  }
  for (const rules of [active, shadow]) {
    // Read from the rollups (one statement per trend or targets request over "now", unbounded).
    expect(await rollupReads(() => rolledUpViews(rolled, rules))).toBe(9);
    expect(await rolledUpViews(rolled, rules)).toBe(await rolledUpViews(state, rules));
  }

  // More events after the snapshots: the changed leads are taken out and put back.
  for (const batch of parts.slice(half)) await projection.project(batch, { atHead: true });
  for (const rules of [active, shadow]) {
    expect(await rollupReads(() => rolledUpViews(rolled, rules))).toBe(9);
    expect(await rolledUpViews(rolled, rules)).toBe(await rolledUpViews(state, rules));
  }
  await rolled.close();
});

it('keeps rollups equal to their recomputation from the state, and never reads an unmarked one', async () => {
  const { database, state, rolled } = await freshQueries();
  const { envelopes } = funnelScenario();
  const projection = await project(database);
  const parts = batches(envelopes, 7);
  for (const batch of parts.slice(0, 3)) await projection.project(batch, { atHead: true });
  const active = await state.ruleSet();
  // Taken after incremental appends, then again after the rest arrived (a newer snapshot).
  for (const upTo of [3, parts.length]) {
    for (const batch of parts.slice(3, upTo)) await projection.project(batch, { atHead: true });
    const snapshot = await rolled.takeSnapshot(active);
    const build = await rolled.takeRollup(active, ROME.timeZone);
    expect(build).not.toBeNull();
    const kept = await client.query({
      query: `
        SELECT view, stage, day, moment, channel, campaign, owner, currency, moments, amount
        FROM {db:Identifier}.lead_funnel_rollups
        WHERE snapshot_id = {snapshot_id:UInt64} AND time_zone = {time_zone:String}
          AND build_id = {build:UInt64}
        ORDER BY ALL`,
      query_params: {
        db: database,
        snapshot_id: snapshot!.id,
        time_zone: ROME.timeZone,
        build: build!,
      },
      format: 'JSONEachRow',
    });
    const dir = resolveSqlDirectory();
    const [moments, funnel, leadState] = await Promise.all([
      readViewFile(dir, '_funnel-rollup-moments'),
      readViewFile(dir, '_lead-funnel'),
      readViewFile(dir, '_lead-state'),
    ]);
    const recomputed = await client.query({
      query: `SELECT * FROM (${composeRollupMoments(moments, composeLeadFunnel(funnel, leadState))}) ORDER BY ALL`,
      query_params: {
        db: database,
        rules_version: String(active.rulesVersion),
        definition_hash: active.definitionHash,
        sla_ms: String(active.slaMs),
        recorded_version: String(active.rulesVersion),
        as_of: UNBOUNDED_CAPTURE.captured_to,
        time_zone: ROME.timeZone,
        ...UNBOUNDED_CAPTURE,
      },
      format: 'JSONEachRow',
    });
    const rows = await kept.text();
    expect(rows.length).toBeGreaterThan(0);
    expect(rows).toBe(await recomputed.text());
  }
  const expected = await rolledUpViews(state, active);
  expect(await rolledUpViews(rolled, active)).toBe(expected);

  // Rows of a build killed before its marker, of the same snapshot and zone: nobody reads them.
  const snapshot = await rolled.takeSnapshot(active);
  await client.command({
    query: `
      INSERT INTO {db:Identifier}.lead_funnel_rollups
      SELECT snapshot_id, time_zone, 1 AS build_id, view, stage, day, moment, 'nobody',
             campaign, owner, currency, moments * 7, amount
      FROM {db:Identifier}.lead_funnel_rollups WHERE snapshot_id = {id:UInt64}`,
    query_params: { db: database, id: snapshot!.id },
  });
  expect(await rolledUpViews(rolled, active)).toBe(expected);

  // A rebuild empties the rollups with the snapshots; projected again, the views still agree.
  await whileBuildsSuspended(rolled, () => resetAnalytics(client, { database }));
  expect(await count(database, 'lead_funnel_rollups')).toBe(0);
  expect(await count(database, 'lead_funnel_rollup_markers')).toBe(0);
  const again = await project(database);
  for (const batch of parts) await again.project(batch, { atHead: true });
  await setTargets(database);
  expect(await rolled.takeSnapshot(active)).not.toBeNull();
  expect(await rolled.takeRollup(active)).not.toBeNull();
  expect(await rolledUpViews(rolled, active)).toBe(await rolledUpViews(state, active));
  await rolled.close();
});

it('a view asked in Asia/Kolkata keeps and reads its rollup under Asia/Kolkata, in any case', async () => {
  const { database, state, rolled } = await freshQueries();
  const projection = await project(database);
  for (const batch of batches(funnelScenario().envelopes, 5)) {
    await projection.project(batch, { atHead: true });
  }
  const active = await state.ruleSet();
  expect(await rolled.takeSnapshot(active)).not.toBeNull();
  expect(await rolled.takeRollup(active, 'asia/kolkata')).not.toBeNull();
  // ICU spells Asia/Kolkata as its legacy link Asia/Calcutta; the rollup is under the name asked.
  const zones = async () => {
    const result = await client.query({
      query: `
        SELECT DISTINCT time_zone FROM {db:Identifier}.lead_funnel_rollup_markers
        WHERE time_zone IN ('Asia/Kolkata', 'Asia/Calcutta')`,
      query_params: { db: database },
      format: 'JSONEachRow',
    });
    return (await result.json<{ time_zone: string }>()).map((row) => row.time_zone);
  };
  expect(await zones()).toEqual(['Asia/Kolkata']);
  for (const spelling of ['Asia/Kolkata', 'ASIA/KOLKATA']) {
    const scope = { rules: active, calendar: { timeZone: spelling } };
    const answers = async (queries: AnalyticsQueries) =>
      JSON.stringify([
        await queries.funnelTrend('week', scope),
        await queries.targetsProgress(scope),
      ]);
    // One rollup read per view: the rollup built under the name asked, not a fold of the state.
    expect({ spelling, reads: await rollupReads(() => answers(rolled)) }).toEqual({
      spelling,
      reads: 2,
    });
    expect(await answers(rolled)).toBe(await answers(state));
  }
  expect(await zones()).toEqual(['Asia/Kolkata']);
  await rolled.close();
});

it('every zone name the views may send is one ClickHouse loads, as spelled', async () => {
  const result = await client.query({
    query: 'SELECT time_zone FROM system.time_zones',
    format: 'JSONEachRow',
  });
  const loaded = new Set((await result.json<{ time_zone: string }>()).map((row) => row.time_zone));
  // reporting-calendar.ts's list of ClickHouse's names is this engine's.
  expect(CLICKHOUSE_TIME_ZONES.filter((name) => !loaded.has(name))).toEqual([]);
  for (const name of ['utc', 'us/hawaii', 'asia/kolkata', 'europe/kyiv', 'asia/kathmandu']) {
    expect({ name, loaded: loaded.has(exactTimeZoneName(name)) }).toEqual({ name, loaded: true });
  }
});
