/**
 * A view read through a snapshot of the per-lead funnel answers exactly what it answers from
 * the kept state: for the active set and a what-if set, with filters, paging and calendars,
 * while events keep arriving after the snapshot, after merges, beside a snapshot killed before
 * its marker, and after the snapshot is superseded. chDB, one database per test.
 */
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ClickHouseClient } from '@clickhouse/client';
import { defaultFunnelDefinition, type FunnelDefinition } from '@tandem/domain';
import { AnalyticsQueries } from '../analytics.queries';
import { resetAnalytics } from '../../projection/lead-events.writer';
import { computeRuleFactsBetween } from '../../rules/rule-facts';
import { newRuleSet, writeRuleSet, type RuleSet } from '../../rules/rule-sets';
import { useEmbeddedAnalytics } from '../../testing/embedded-analytics.fixture';
import {
  lowerMqlThreshold,
  startProjection,
  whileBuildsSuspended,
} from '../../testing/kept-tables.fixture';
import { everyView } from '../../testing/every-view.fixture';
import { funnelScenario } from '../../testing/funnel-scenario.fixture';
import { composeLeadFunnel, composeSnapshotFunnel, readViewFile } from '../../clickhouse/view-sql';
import { LeadFunnelSnapshots } from './lead-funnel-snapshots';
import { resolveSqlDirectory } from '../../clickhouse/sql-directory';
import { batches } from '../../testing/event-log.fixture';

// Every view twice per step, on a two-core box shared with other suites.
jest.setTimeout(600_000);

const analytics = useEmbeddedAnalytics('lead-snapshots-int');
let client: ClickHouseClient;
beforeAll(() => {
  client = analytics.client();
});

/** A what-if: the shipped dictionary with a lower MQL threshold and a longer SLA. */
const whatIf: FunnelDefinition = {
  ...lowerMqlThreshold,
  sla: { ...defaultFunnelDefinition.sla, acceptWithinHours: 48 },
};

const project = (database: string) => startProjection(client, database);

/**
 * The per-lead funnel itself, every column and its type: composed from the state, or read the
 * way a view reads the set's latest snapshot (with the leads changed since from the state).
 */
async function funnelRows(database: string, rules: RuleSet, fromSnapshot: boolean) {
  const dir = resolveSqlDirectory();
  const [funnel, state, snapshotSql, changedSql] = await Promise.all([
    readViewFile(dir, '_lead-funnel'),
    readViewFile(dir, '_lead-state'),
    readViewFile(dir, '_lead-funnel-snapshot'),
    readViewFile(dir, '_lead-funnel-changed'),
  ]);
  const reader = new LeadFunnelSnapshots(client, () => Promise.resolve(''), {
    database,
    refreshAfterChanged: Infinity,
    // The snapshots AnalyticsQueries takes: only a marker of their fingerprint is read.
    fingerprint: () => new AnalyticsQueries(client, { database }).snapshotFingerprint(),
  });
  const read = fromSnapshot ? await reader.current(rules) : null;
  if (fromSnapshot) expect(read).not.toBeNull();
  const sql =
    read === null
      ? composeLeadFunnel(funnel, state)
      : composeSnapshotFunnel(
          snapshotSql,
          read.changed.length === 0 ? null : changedSql,
          funnel,
          state,
        );
  const params = {
    db: database,
    rules_version: String(rules.rulesVersion),
    definition_hash: rules.definitionHash,
    sla_ms: String(rules.slaMs),
    recorded_version: String(rules.kind === 'published' ? rules.rulesVersion : 0),
    as_of: '2299-12-31 23:59:59.999',
    ...(read === null ? {} : { snapshot_id: read.snapshot.id, changed_leads: read.changed }),
  };
  const described = await client.query({
    query: `DESCRIBE (${sql})`,
    query_params: params,
    format: 'JSONEachRow',
  });
  const rows = await client.query({
    query: `SELECT * FROM (${sql}) ORDER BY lead_id`,
    query_params: params,
    format: 'JSONEachRow',
  });
  return {
    changed: read?.changed.length ?? 0,
    types: await described.text(),
    rows: await rows.text(),
  };
}

it('answers every view as the state does, before and after more events, for two rule sets', async () => {
  const database = await analytics.freshDatabase();
  const state = new AnalyticsQueries(client, { reader: analytics.reader(), database });
  const snapshots = new AnalyticsQueries(client, {
    reader: analytics.reader(),
    database,
    snapshots: true,
  });
  const shadow = newRuleSet(whatIf, 'shadow', 'ready');
  await writeRuleSet(client, shadow, { database });
  const { envelopes } = funnelScenario();
  const parts = batches(envelopes, 9);
  const projection = await project(database);
  const half = Math.floor(parts.length / 2);
  for (const batch of parts.slice(0, half)) await projection.project(batch, { atHead: true });

  const active = await state.ruleSet();
  expect(await snapshots.takeSnapshot(active)).not.toBeNull();
  expect(await snapshots.takeSnapshot(shadow)).not.toBeNull();
  for (const rules of [active, shadow]) {
    expect(await everyView(snapshots, rules)).toBe(await everyView(state, rules));
  }
  // The snapshot alone (nothing changed since), and the funnel rows themselves, every column.
  const taken = await snapshots.takeSnapshot(active);
  expect(taken).not.toBeNull();
  const unchanged = await funnelRows(database, active, true);
  expect(unchanged.changed).toBe(0);
  expect({ ...unchanged, changed: 0 }).toEqual(await funnelRows(database, active, false));

  // More events after the snapshots: the changed leads come from the state.
  for (const batch of parts.slice(half)) await projection.project(batch, { atHead: true });
  for (const rules of [active, shadow]) {
    expect(await everyView(snapshots, rules)).toBe(await everyView(state, rules));
  }
  const changed = await funnelRows(database, active, true);
  expect(changed.changed).toBeGreaterThan(0);
  expect({ ...changed, changed: 0 }).toEqual(await funnelRows(database, active, false));

  // After merges, and with a newer snapshot.
  for (const table of ['lead_state', 'lead_rule_facts', 'lead_events']) {
    await client.command({
      query: 'OPTIMIZE TABLE {db:Identifier}.{table:Identifier} FINAL',
      query_params: { db: database, table },
    });
  }
  const newer = await snapshots.takeSnapshot(active);
  expect(newer?.id).not.toBe(taken?.id);
  for (const rules of [active, shadow]) {
    expect(await everyView(snapshots, rules)).toBe(await everyView(state, rules));
  }
});

it('never reads a snapshot killed before its marker, nor one ahead of the rules', async () => {
  const database = await analytics.freshDatabase();
  const state = new AnalyticsQueries(client, { reader: analytics.reader(), database });
  const snapshots = new AnalyticsQueries(client, {
    reader: analytics.reader(),
    database,
    snapshots: true,
  });
  const { envelopes } = funnelScenario();
  const projection = await project(database);
  for (const batch of batches(envelopes, 20)) await projection.project(batch, { atHead: true });
  const active = await state.ruleSet();
  const expected = await everyView(state, active);

  const taken = await snapshots.takeSnapshot(active);
  expect(taken).not.toBeNull();
  expect(await everyView(snapshots, active)).toBe(expected);

  // Rows of a later snapshot whose writer died before the marker: a partition nobody names.
  await client.command({
    query: `
      INSERT INTO {db:Identifier}.lead_funnel_snapshots
      SELECT 42 AS snapshot_id, * EXCEPT (snapshot_id) REPLACE ('nobody' AS channel)
      FROM {db:Identifier}.lead_funnel_snapshots WHERE snapshot_id = {id:UInt64}`,
    query_params: { db: database, id: taken!.id },
  });
  expect(await everyView(snapshots, active)).toBe(expected);

  // A checkpoint below the snapshot (a rebuild starting over): the snapshot is not read.
  await client.command({
    query: 'TRUNCATE TABLE {db:Identifier}.projection_checkpoint',
    query_params: { db: database },
  });
  expect(await snapshots.takeSnapshot(active)).toBeNull();
  expect(await everyView(snapshots, active)).toBe(expected);
});

it('takes a lead whose rule rows moved past the snapshot from the state', async () => {
  const database = await analytics.freshDatabase();
  const state = new AnalyticsQueries(client, { reader: analytics.reader(), database });
  const snapshots = new AnalyticsQueries(client, {
    reader: analytics.reader(),
    database,
    snapshots: true,
  });
  const { envelopes } = funnelScenario();
  const parts = batches(envelopes, 9);
  const projection = await project(database);
  // At the head for a while, then behind it: events without their rules, and a snapshot at the
  // (lower) rules checkpoint.
  for (const batch of parts.slice(0, 2)) await projection.project(batch, { atHead: true });
  for (const batch of parts.slice(2, -1)) await projection.project(batch, { atHead: false });
  const active = await state.ruleSet();
  expect(await snapshots.takeSnapshot(active)).not.toBeNull();
  expect(await everyView(snapshots, active)).toBe(await everyView(state, active));
  // The rules catch up (rows with last_position past the snapshot), then the head.
  await computeRuleFactsBetween(
    client,
    [active],
    { after: projection.position.rules, upTo: projection.position.events! },
    { database },
  );
  expect(await everyView(snapshots, active)).toBe(await everyView(state, active));
  await projection.project(parts.at(-1)!, { atHead: true });
  expect(await everyView(snapshots, active)).toBe(await everyView(state, active));
  await snapshots.close();
});

it('lets no snapshot being written span a rebuild emptying the tables it copies', async () => {
  const database = await analytics.freshDatabase();
  const state = new AnalyticsQueries(client, { reader: analytics.reader(), database });
  const snapshots = new AnalyticsQueries(client, {
    reader: analytics.reader(),
    database,
    snapshots: true,
  });
  const { envelopes } = funnelScenario();
  const first = await project(database);
  for (const batch of batches(envelopes, 20)) await first.project(batch, { atHead: true });
  const active = await state.ruleSet();

  // A snapshot on its way when a rebuild empties the tables (the first view request after
  // start, then POST /ops/rebuild), then the log projected again from the start.
  const writing = snapshots.takeSnapshot(active);
  await whileBuildsSuspended(snapshots, () => resetAnalytics(client, { database }));
  await writing;
  // Nothing the emptying left behind says "this covers position N": whatever was on its way
  // was written whole before it, and emptied with the rest.
  const markers = await client.query({
    query: 'SELECT count() AS n FROM {db:Identifier}.lead_funnel_snapshot_markers',
    query_params: { db: database },
    format: 'JSONEachRow',
  });
  expect(await markers.json()).toEqual([{ n: 0 }]);
  const again = await project(database);
  for (const batch of batches(envelopes, 20)) await again.project(batch, { atHead: true });
  expect(JSON.parse(await everyView(state, active))).toMatchObject({
    funnel: expect.arrayContaining([expect.objectContaining({ stage: 'captured' })]),
  });
  expect(await everyView(snapshots, active)).toBe(await everyView(state, active));
  await snapshots.close();
});

/**
 * Holds the next statement a view sends (through the read client: a view's read, in flight for
 * as long as the test needs) until the returned function is called.
 */
function holdNextQuery(): () => void {
  let open = () => {};
  const gate = new Promise<void>((resolve) => (open = resolve));
  const reader = analytics.reader();
  const query = reader.query.bind(reader);
  const spy = jest.spyOn(reader, 'query');
  spy.mockImplementationOnce(async (params: Parameters<typeof query>[0]) => {
    await gate;
    return query(params);
  });
  return () => {
    open();
    spy.mockRestore();
  };
}

it('cancels the snapshot and the kept builds a rebuild meets, and starts none until released', async () => {
  const database = await analytics.freshDatabase();
  const state = new AnalyticsQueries(client, { reader: analytics.reader(), database });
  // Each range and each kept statement waits for a view read in flight, for up to 2 s: a build
  // started beside a held read is still on its way when the rebuild comes.
  const kept = new AnalyticsQueries(client, {
    reader: analytics.reader(),
    database,
    snapshots: { chunkRows: 1, yieldMs: 2_000 },
  });
  const { envelopes } = funnelScenario();
  const first = await project(database);
  for (const batch of batches(envelopes, 20)) await first.project(batch, { atHead: true });
  const active = await state.ruleSet();
  const markers = (table: string) =>
    client
      .query({
        query: 'SELECT count() AS n FROM {db:Identifier}.{table:Identifier}',
        query_params: { db: database, table },
        format: 'JSONEachRow',
      })
      .then(async (result) => Number((await result.json<{ n: string }>())[0]?.n));

  // A snapshot on its way (behind a view's read) when a rebuild comes: cancelled, never marked.
  let openRead = holdNextQuery();
  let reading = kept.ruleSet();
  const snapshotting = kept.takeSnapshot(active);
  let release = await kept.suspendBackgroundBuilds('a rebuild');
  expect(await snapshotting).toBeNull();
  expect(await markers('lead_funnel_snapshot_markers')).toBe(0);
  openRead();
  await reading;
  // Suspended: nothing starts, asked for or not.
  expect(await kept.takeSnapshot(active)).toBeNull();
  release();

  // What is kept per snapshot, on its way when the next rebuild comes: cancelled too. The
  // snapshot is taken without its credits (a snapshot's write builds them before its marker),
  // so that a build of them is on its way as well.
  const withoutCredits = new AnalyticsQueries(client, {
    reader: analytics.reader(),
    database,
    snapshots: { chunkRows: 1 },
    attributionCredits: false,
    rollups: false,
    eventAudits: false,
  });
  expect(await withoutCredits.takeSnapshot(active)).not.toBeNull();
  await withoutCredits.close();
  openRead = holdNextQuery();
  reading = kept.ruleSet();
  const crediting = kept.takeAttributionCredits(active);
  const rolling = kept.takeRollup(active);
  const auditing = kept.takeEventAudit(active);
  release = await kept.suspendBackgroundBuilds('a rebuild');
  expect([await crediting, await rolling, await auditing]).toEqual([null, null, null]);
  for (const table of [
    'lead_attribution_credit_markers',
    'lead_funnel_rollup_markers',
    'lead_event_audit_markers',
  ]) {
    expect(await markers(table)).toBe(0);
  }
  openRead();
  await reading;

  // The rebuild: emptied and projected again under the suspension, then released; views
  // (which keep their snapshots and builds themselves from here) answer what a clean rebuild
  // of the same events answers.
  await resetAnalytics(client, { database });
  const again = await project(database);
  for (const batch of batches(envelopes, 20)) await again.project(batch, { atHead: true });
  expect(await kept.takeAttributionCredits(active)).toBeNull();
  release();
  expect(await kept.takeSnapshot(active)).not.toBeNull();
  expect(await kept.takeAttributionCredits(active)).not.toBeNull();
  const clean = await analytics.freshDatabase();
  const cleanly = await project(clean);
  for (const batch of batches(envelopes, 20)) await cleanly.project(batch, { atHead: true });
  const cleanState = new AnalyticsQueries(client, { reader: analytics.reader(), database: clean });
  expect(await everyView(kept, active)).toBe(
    await everyView(cleanState, await cleanState.ruleSet()),
  );
  await kept.close();
});

it('reads a state smaller than minLeads whole, and snapshots it once it holds that many', async () => {
  const database = await analytics.freshDatabase();
  const state = new AnalyticsQueries(client, { reader: analytics.reader(), database });
  const { envelopes } = funnelScenario();
  const parts = batches(envelopes, 9);
  const all = new Set(envelopes.flatMap((envelope) => envelope.leadId ?? [])).size;
  // Each view read that finds no snapshot looks at the state's size again (minIntervalMs 0).
  const snapshots = new AnalyticsQueries(client, {
    reader: analytics.reader(),
    database,
    snapshots: { minLeads: all, minIntervalMs: 0 },
  });
  const count = async (query: string) => {
    const result = await client.query({
      query,
      query_params: { db: database },
      format: 'JSONEachRow',
    });
    return (await result.json<{ n: string }>()).map((row) => Number(row.n));
  };
  const leadsInState = () =>
    count('SELECT uniqExact(lead_id) AS n FROM {db:Identifier}.lead_state');
  const marked = () =>
    count('SELECT leads AS n FROM {db:Identifier}.lead_funnel_snapshot_markers ORDER BY taken_at');
  const projection = await project(database);
  for (const batch of parts.slice(0, 2)) await projection.project(batch, { atHead: true });
  const [before] = await leadsInState();
  expect(before).toBeLessThan(all);
  const active = await state.ruleSet();

  // Fewer leads than minLeads: the views read the state, and no snapshot is taken.
  await snapshots.refreshSnapshotInBackground();
  await snapshots.snapshotSettled();
  expect(await everyView(snapshots, active)).toBe(await everyView(state, active));
  await snapshots.snapshotSettled();
  expect(await marked()).toEqual([]);

  // minLeads leads: the next look takes a snapshot, and the views answer the same from it.
  for (const batch of parts.slice(2)) await projection.project(batch, { atHead: true });
  expect(await leadsInState()).toEqual([all]);
  await snapshots.refreshSnapshotInBackground();
  await snapshots.snapshotSettled();
  expect(await marked()).toEqual([all]);
  expect(await everyView(snapshots, active)).toBe(await everyView(state, active));
  await snapshots.close();
});

it('copies a snapshot one range of leads per statement, every lead once', async () => {
  const database = await analytics.freshDatabase();
  const state = new AnalyticsQueries(client, { reader: analytics.reader(), database });
  // One granule of lead_state per part here: a range per part's first lead.
  const snapshots = new AnalyticsQueries(client, {
    reader: analytics.reader(),
    database,
    snapshots: { chunkRows: 1 },
  });
  const { envelopes } = funnelScenario();
  const projection = await project(database);
  for (const batch of batches(envelopes, 7)) await projection.project(batch, { atHead: true });
  const active = await state.ruleSet();

  const command = jest.spyOn(client, 'command');
  const taken = await snapshots.takeSnapshot(active);
  const copies = command.mock.calls.filter(([params]) =>
    /INSERT INTO \{db:Identifier\}\.\{snapshots:Identifier\}/.test(params.query),
  );
  command.mockRestore();
  expect(copies.length).toBeGreaterThan(2);

  const counted = await client.query({
    query: `
      SELECT count() AS leads, uniqExact(lead_id) AS distinct_leads
      FROM {db:Identifier}.lead_funnel_snapshots WHERE snapshot_id = {id:UInt64}`,
    query_params: { db: database, id: taken!.id },
    format: 'JSONEachRow',
  });
  const [row] = await counted.json<{ leads: string; distinct_leads: string }>();
  expect(Number(row?.leads)).toBe(taken!.leads);
  expect(row?.distinct_leads).toBe(row?.leads);
  const fromSnapshot = await funnelRows(database, active, true);
  expect(fromSnapshot.changed).toBe(0);
  expect(fromSnapshot).toEqual(await funnelRows(database, active, false));
  expect(await everyView(snapshots, active)).toBe(await everyView(state, active));
  await snapshots.close();
});

it('says views answer from a snapshot once one is marked, or when the state needs none', async () => {
  const database = await analytics.freshDatabase();
  const { envelopes } = funnelScenario();
  const parts = batches(envelopes, 9);
  const all = new Set(envelopes.flatMap((envelope) => envelope.leadId ?? [])).size;
  const withSnapshots = (options: { maxChanged: number; minLeads: number }) =>
    new AnalyticsQueries(client, {
      reader: analytics.reader(),
      database,
      snapshots: { ...options, refreshAfterChanged: options.maxChanged, minIntervalMs: 0 },
    });
  // A view beside a snapshot reads up to 2 changed leads from the state: a larger state needs one.
  const queries = withSnapshots({ maxChanged: 2, minLeads: 0 });
  expect(await queries.viewsFromSnapshot()).toBe(true);
  const projection = await project(database);
  const half = Math.floor(parts.length / 2);
  for (const batch of parts.slice(0, half)) await projection.project(batch, { atHead: true });

  // A first projection: no snapshot yet, so the views fold the state; the look starts one.
  expect(await queries.viewsFromSnapshot()).toBe(false);
  await queries.snapshotSettled();
  expect(await queries.viewsFromSnapshot()).toBe(true);

  // More than 2 leads changed since (a restart after a long stop): the state again, until the
  // next snapshot that look started is marked.
  for (const batch of parts.slice(half)) await projection.project(batch, { atHead: true });
  expect(await queries.viewsFromSnapshot()).toBe(false);
  await queries.snapshotSettled();
  expect(await queries.viewsFromSnapshot()).toBe(true);
  await queries.close();

  // A state smaller than minLeads is read whole: no snapshot is taken, and none is needed.
  const small = withSnapshots({ maxChanged: 2, minLeads: all + 1 });
  await resetAnalytics(client, { database });
  const rebuilt = await project(database);
  for (const batch of parts) await rebuilt.project(batch, { atHead: true });
  expect(await small.viewsFromSnapshot()).toBe(true);
  await small.close();
  const off = new AnalyticsQueries(client, { reader: analytics.reader(), database });
  expect(await off.viewsFromSnapshot()).toBeNull();
});

it('never reads a snapshot taken by code that computes the funnel otherwise (a deploy, no event since)', async () => {
  const database = await analytics.freshDatabase();
  const { envelopes } = funnelScenario();
  const projection = await project(database);
  for (const batch of batches(envelopes, 20)) await projection.project(batch, { atHead: true });
  const before = new AnalyticsQueries(client, {
    reader: analytics.reader(),
    database,
    snapshots: true,
  });
  const active = await before.ruleSet();
  expect(await before.takeSnapshot(active)).not.toBeNull();
  await before.close();

  // The next deploy reads the campaign otherwise (any change to what a snapshot holds); nothing
  // happens in the store, so no lead changes since the snapshot's position.
  const sqlDir = await mkdtemp(join(tmpdir(), 'tandem-snapshot-deploy-sql-'));
  try {
    await cp(resolveSqlDirectory(), sqlDir, { recursive: true });
    const stateSql = join(sqlDir, 'views', '_lead-state.sql');
    const original = await readFile(stateSql, 'utf8');
    expect(original).toContain('s.source.3 AS campaign');
    await writeFile(
      stateSql,
      original.replace('s.source.3 AS campaign', 'upper(s.source.3) AS campaign'),
    );
    // What the new code answers from the state: a rebuild projects the same lead_state, which
    // this SQL reads the same way.
    const state = new AnalyticsQueries(client, { reader: analytics.reader(), database, sqlDir });
    const after = new AnalyticsQueries(client, {
      reader: analytics.reader(),
      database,
      sqlDir,
      snapshots: true,
    });
    const expected = await everyView(state, active);
    expect(expected).toContain('SPRING');
    expect(await everyView(after, active)).toBe(expected);
    // Its own snapshot is read, and answers the same.
    const own = await after.takeSnapshot(active);
    expect(own).not.toBeNull();
    expect((await after.funnelRead(active)).read?.snapshot.id).toBe(own?.id);
    expect(await everyView(after, active)).toBe(expected);
    await after.close();
  } finally {
    await rm(sqlDir, { recursive: true, force: true });
  }
});
