/**
 * The reconciliation's lens witnesses from a snapshot's sums (lens-totals.ts): always what both
 * lens views, summed, give over the funnel of "now" — after leads change since the snapshot (new
 * leads, a new currency, a currency netting to zero), with the sums over the whole snapshot
 * computed once, and the changed leads recomputed by the views' statements over those leads only.
 */
import type { ClickHouseClient } from '@clickhouse/client';
import { AnalyticsQueries } from '../analytics.queries';
import { sumLensRows } from '../reconciliation';
import { LogProjection } from '../../projection/log-projection';
import { createEventLog, leadEvent as e } from '../../testing/event-log.fixture';
import { useEmbeddedAnalytics } from '../../testing/embedded-analytics.fixture';
import { funnelScenario } from '../../testing/funnel-scenario.fixture';

const analytics = useEmbeddedAnalytics('lens-totals-int');

// _lead-funnel-snapshot.sql's cut: only a lens read over the whole snapshot says it.
const WHOLE_SNAPSHOT_READ = 'empty({changed_leads:Array(String)})';
const CORRECTION = "-- The lens witnesses' correction";

describe('AnalyticsQueries.lensTotals over a snapshot', () => {
  let client: ClickHouseClient;
  let database: string;
  let projection: LogProjection;
  let queries: AnalyticsQueries;
  let state: AnalyticsQueries;
  let sent: string[];

  beforeEach(async () => {
    client = analytics.client();
    database = await analytics.freshDatabase();
    projection = new LogProjection(client, { database });
    await projection.start();
    await projection.project(funnelScenario().envelopes, { atHead: true });
    // Every statement the views' queries send (on the read client), to tell a whole read from
    // a correction.
    sent = [];
    const recording = new Proxy(analytics.reader(), {
      get(target, property, receiver) {
        if (property === 'query') {
          return (params: Parameters<ClickHouseClient['query']>[0]) => {
            sent.push(params.query);
            return target.query(params);
          };
        }
        return Reflect.get(target, property, receiver) as unknown;
      },
    });
    queries = new AnalyticsQueries(client, { reader: recording, database, snapshots: true });
    // The reference: both lenses over the kept state, no snapshot.
    state = new AnalyticsQueries(client, { reader: analytics.reader(), database });
  });

  afterEach(async () => {
    await queries.close();
  });

  const fromState = async () => {
    const rules = await state.ruleSet();
    return {
      marketing: sumLensRows(await state.marketingLens({ rules })),
      sales: sumLensRows(await state.salesLens({ rules })),
    };
  };

  // The lens statements among those sent: a snapshot started in the background by a read looks
  // itself up on the same read client, and its lookups may land in between.
  const lensStatements = () =>
    sent.filter((sql) => sql.includes('-- Marketing lens:') || sql.includes('-- Sales lens:'));

  const lensTotals = async () => {
    const rules = await queries.ruleSet();
    const funnel = await queries.funnelRead(rules);
    sent = [];
    return { totals: await queries.lensTotals(rules, funnel), changed: funnel.read?.changed };
  };

  it('recomputes only the leads changed since the snapshot, new currencies included', async () => {
    expect(await queries.takeSnapshot(await queries.ruleSet())).not.toBeNull();
    const first = await lensTotals();
    expect(first.changed).toEqual([]);
    expect(first.totals).toEqual(await fromState());
    expect(sent.some((sql) => sql.includes(WHOLE_SNAPSHOT_READ))).toBe(true);

    // Kept: no statement at all while no lead changed.
    expect((await lensTotals()).totals).toEqual(first.totals);
    expect(lensStatements()).toEqual([]);

    // A kept lead handed to sales, and a new lead won in a currency the snapshot never saw.
    const later = createEventLog({ firstPosition: 1000 });
    later.lead('L3', e.handed('carol'));
    for (const event of [
      e.captured('ads', 'spring'),
      e.handed('dave'),
      e.opened('O90', 120, 'CHF'),
      e.won('O90', 120.5, 'CHF'),
    ]) {
      later.lead('L90', event);
    }
    await projection.project(later.envelopes, { atHead: true });
    const after = await lensTotals();
    expect(after.changed).toEqual(['L3', 'L90']);
    const expected = await fromState();
    expect(after.totals).toEqual(expected);
    expect(expected.marketing.handedToSales).toBe(first.totals.marketing.handedToSales + 2);
    expect(expected.sales.wonRevenue.CHF).toBe('120.5');
    // One statement, over the changed leads only.
    const [correction, ...others] = lensStatements();
    expect(others).toEqual([]);
    expect(correction).toContain(CORRECTION);
    expect(correction).not.toContain(WHOLE_SNAPSHOT_READ);
  });

  it('reads both lenses whole when a currency nets to zero', async () => {
    expect(await queries.takeSnapshot(await queries.ruleSet())).not.toBeNull();
    await lensTotals();
    // A won amount of 0: the views show the currency with 0, which sums alone cannot tell from
    // no won lead in it.
    const later = createEventLog({ firstPosition: 1000 });
    for (const event of [
      e.captured('ads', 'spring'),
      e.handed('dave'),
      e.opened('O91', 0, 'JPY'),
      e.won('O91', 0, 'JPY'),
    ]) {
      later.lead('L91', event);
    }
    await projection.project(later.envelopes, { atHead: true });
    const after = await lensTotals();
    expect(after.changed).toEqual(['L91']);
    const expected = await fromState();
    expect(expected.marketing.wonRevenue.JPY).toBe('0');
    expect(after.totals).toEqual(expected);
    expect(sent.some((sql) => sql.includes(WHOLE_SNAPSHOT_READ))).toBe(true);
  });
});
