/**
 * Marketing attribution read from the credits kept per snapshot answers exactly what it answers
 * from the kept state: every model, the unbounded and a bounded capture window, "as of" (which
 * keeps the fold), for the active set and a what-if set with other weights, while events keep
 * arriving after the snapshot (a lead's own events, and a touch of a visitor a capture named),
 * beside a build killed before its marker, and after a rebuild. chDB, one database per test.
 */
import type { ClickHouseClient } from '@clickhouse/client';
import {
  attributionModels,
  type FunnelDefinition,
  type LeadEvent,
  type VisitorEvent,
} from '@tandem/domain';
import { AnalyticsQueries } from '../analytics.queries';
import { resetAnalytics } from '../../projection/lead-events.writer';
import type { AnyEnvelope } from '../../projection/lead-event.row';
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
import { tunedAttribution } from '../../testing/rule-sets.fixture';
import { createEventLog, leadEvent as e } from '../../testing/event-log.fixture';

jest.setTimeout(600_000);

const analytics = useEmbeddedAnalytics('attribution-credits-int');
let client: ClickHouseClient;
beforeAll(() => {
  client = analytics.client();
});

/** A what-if set whose attribution weights and half-life differ from the shipped ones. */
const whatIf: FunnelDefinition = { ...lowerMqlThreshold, attribution: tunedAttribution };

const anonymous = (visitorId: string, touchpointId: string, channel: string): VisitorEvent => ({
  type: 'AnonymousTouchpointRecorded',
  data: { visitorId, touchpointId, kind: 'ad_click', channel, campaign: `${channel}-c` },
});

/**
 * K1 (touches of two visitors before its capture, then won 500 EUR) first, then the funnel
 * scenario's eleven leads; `late` is one more touch of K1's laptop visitor, recorded last but
 * occurring before every other touch: it moves K1's first touch without any event of K1's own.
 * K1 also holds touches sent by two routes (ADR 0012, "a touch sent by two routes"): k1-a1 sent
 * again to its phone visitor and to K1's own route (other facts), k1-o1 first on K1's own route
 * and after the snapshot to its laptop visitor (other facts). The later copies' channels
 * (`repeated_*`) are never credited, kept or not.
 */
function scenario(): { early: AnyEnvelope[]; rest: AnyEnvelope[]; late: AnyEnvelope } {
  const log = createEventLog();
  log.visitor(anonymous('v_k1_laptop', 'k1-a1', 'display'));
  log.visitor(anonymous('v_k1_phone', 'k1-a2', 'affiliate'));
  const capture = e.captured('webinar', 'launch');
  if (capture.type !== 'LeadCaptured') throw new Error('unreachable');
  const stitching: LeadEvent = {
    ...capture,
    data: { ...capture.data, visitorIds: ['v_k1_laptop', 'v_k1_phone'] },
  };
  log.lead('K1', stitching);
  log.visitor(anonymous('v_k1_phone', 'k1-a1', 'repeated_visitor'));
  log.lead('K1', e.touchpoint('k1-a1', 'repeated_lead'));
  log.lead('K1', e.touchpoint('k1-o1', 'email'));
  log.lead('K1', e.opened('ok1', 500, 'EUR'));
  log.lead('K1', e.won('ok1', 500, 'EUR'));
  const k1 = log.envelopes.length;
  funnelScenario(log);
  log.visitor(anonymous('v_k1_laptop', 'k1-o1', 'repeated_after_snapshot'));
  const late = log.visitor(anonymous('v_k1_laptop', 'k1-a3', 'podcast'));
  const envelopes = log.envelopes.slice(0, -1);
  const half = k1 + Math.floor((envelopes.length - k1) / 2);
  return {
    early: envelopes.slice(0, half),
    rest: envelopes.slice(half),
    late: { ...late, occurredAt: '2024-12-01T00:00:00.000Z' },
  };
}

const WINDOW = { capturedFrom: '2025-01-06T09:03:00Z', capturedTo: '2025-01-06T10:30:00Z' };

/** Every model over "now" (unbounded and windowed) and "as of", as one text to compare. */
async function attribution(queries: AnalyticsQueries, rules: RuleSet): Promise<string> {
  const answers: Record<string, unknown> = {};
  for (const model of attributionModels) {
    answers[model] = await queries.marketingAttribution(model, { rules });
    answers[`${model} windowed`] = await queries.marketingAttribution(model, { rules, ...WINDOW });
    answers[`${model} as of`] = await queries.marketingAttribution(model, {
      rules,
      asOf: '2025-01-06T10:00:00Z',
    });
  }
  return JSON.stringify(answers, null, 1);
}

/** The statements a call sends (views read on the read client) that read kept credits as rows. */
const keptReads = (work: () => Promise<unknown>) =>
  countQueries(analytics.reader(), work, (sql) => sql.includes('{credits_build:UInt64}'));

const project = (database: string) => startProjection(client, database);

const count = (database: string, table: string) => countRows(client, database, table);

/**
 * A fresh database, its projection started, the scenario, the views read from the state and
 * those read from what is kept (snapshots on, written through `through`), and with `whatIf`
 * the what-if set written as a shadow.
 */
async function given(options: { whatIf?: boolean; through?: ClickHouseClient } = {}) {
  const database = await analytics.freshDatabase();
  const reader = analytics.reader();
  const state = new AnalyticsQueries(client, { reader, database });
  const kept = new AnalyticsQueries(options.through ?? client, {
    reader,
    database,
    snapshots: true,
  });
  const shadow = newRuleSet(whatIf, 'shadow', 'ready');
  if (options.whatIf === true) await writeRuleSet(client, shadow, { database });
  return { database, state, kept, shadow, projection: await project(database), ...scenario() };
}

it('answers every model as the state does, before and after more events', async () => {
  const { state, kept, shadow, projection, early, rest, late } = await given({ whatIf: true });
  await projection.project(early, { atHead: true });

  const active = await state.ruleSet();
  for (const rules of [active, shadow]) {
    expect(await kept.takeSnapshot(rules)).not.toBeNull();
    expect(await kept.takeAttributionCredits(rules)).not.toBeNull();
  }
  const before = new Map<RuleSet, string>();
  for (const rules of [active, shadow]) {
    // Seven models, unbounded and windowed, read the kept credits; "as of" never does.
    expect(await keptReads(() => attribution(kept, rules))).toBe(14);
    const expected = await attribution(state, rules);
    expect(await attribution(kept, rules)).toBe(expected);
    before.set(rules, expected);
  }

  // More events after the snapshots: leads of their own, then a touch of K1's visitor only.
  await projection.project(rest, { atHead: true });
  for (const rules of [active, shadow]) {
    expect(await keptReads(() => attribution(kept, rules))).toBe(14);
    expect(await attribution(kept, rules)).toBe(await attribution(state, rules));
  }
  await projection.project([late], { atHead: true });
  for (const rules of [active, shadow]) {
    const expected = await attribution(state, rules);
    expect(expected).toContain('podcast');
    expect(expected).toContain('"email"');
    expect(expected).not.toContain('repeated_');
    expect(await keptReads(() => attribution(kept, rules))).toBe(14);
    expect(await attribution(kept, rules)).toBe(expected);
  }
  await kept.close();
});

it('never reads a build killed before its marker, and is rebuilt with the snapshots', async () => {
  const { database, state, kept, projection, early, rest, late } = await given();
  await projection.project([...early, ...rest, late], { atHead: true });
  const active = await state.ruleSet();
  const snapshot = await kept.takeSnapshot(active);
  expect(await kept.takeAttributionCredits(active)).not.toBeNull();
  const expected = await attribution(state, active);
  expect(await attribution(kept, active)).toBe(expected);

  // Rows of a build killed before its marker, of the same snapshot, with a lower build id than
  // the marked one: nobody reads them.
  await client.command({
    query: `
      INSERT INTO {db:Identifier}.lead_attribution_credits
      SELECT snapshot_id, 0 AS build_id, kind, model, lead_id, captured_at, 'nobody', campaign,
             leads * 7, won_code, pipeline_code, won_credit * 7, pipeline_credit * 7, visitor_id
      FROM {db:Identifier}.lead_attribution_credits WHERE snapshot_id = {id:UInt64}`,
    query_params: { db: database, id: snapshot!.id },
  });
  expect(await keptReads(() => attribution(kept, active))).toBe(7 * 2);
  expect(await attribution(kept, active)).toBe(expected);

  // A rebuild empties the credits with the snapshots; projected again, the views still agree.
  await whileBuildsSuspended(kept, () => resetAnalytics(client, { database }));
  expect(await count(database, 'lead_attribution_credits')).toBe(0);
  expect(await count(database, 'lead_attribution_credit_markers')).toBe(0);
  const again = await project(database);
  await again.project([...early, ...rest, late], { atHead: true });
  expect(await kept.takeSnapshot(active)).not.toBeNull();
  expect(await kept.takeAttributionCredits(active)).not.toBeNull();
  expect(await keptReads(() => attribution(kept, active))).toBe(14);
  expect(await attribution(kept, active)).toBe(await attribution(state, active));
  await kept.close();
});

it('keeps a snapshot credits before its marker, so no view after it reads the slow path', async () => {
  const { database, state, kept, shadow, projection, early, rest, late } = await given({
    whatIf: true,
  });
  await projection.project([...early, ...rest, late], { atHead: true });
  const active = await state.ruleSet();
  for (const rules of [active, shadow]) {
    // Nothing asked for the credits: the snapshot's write built them before its marker.
    expect(await kept.takeSnapshot(rules)).not.toBeNull();
    expect(await keptReads(() => attribution(kept, rules))).toBe(14);
    expect(await attribution(kept, rules)).toBe(await attribution(state, rules));
  }

  // A kill after the credits' marker and before the snapshot's: credits of a snapshot no marker
  // names. The views read the state (the snapshot is gone with its marker), then the next
  // snapshot and its own credits; the orphan is never read.
  const snapshot = await kept.takeSnapshot(active);
  await client.command({
    query:
      'DELETE FROM {db:Identifier}.lead_funnel_snapshot_markers WHERE snapshot_id = {id:UInt64}',
    query_params: { db: database, id: snapshot!.id },
  });
  const restarted = new AnalyticsQueries(client, {
    reader: analytics.reader(),
    database,
    snapshots: true,
  });
  const expected = await attribution(state, active);
  const next = await restarted.takeSnapshot(active);
  expect(next?.id).not.toBe(snapshot!.id);
  expect(await keptReads(() => attribution(restarted, active))).toBe(14);
  expect(await attribution(restarted, active)).toBe(expected);

  // A rebuild: the first snapshot after it comes with its credits as well.
  await whileBuildsSuspended(restarted, () => resetAnalytics(client, { database }));
  const again = await project(database);
  await again.project([...early, ...rest, late], { atHead: true });
  expect(await restarted.takeSnapshot(active)).not.toBeNull();
  expect(await keptReads(() => attribution(restarted, active))).toBe(14);
  expect(await attribution(restarted, active)).toBe(expected);
  await kept.close();
  await restarted.close();
});

it('marks a snapshot whose credits fail, and answers from it as before', async () => {
  // Every write of credit rows fails; everything else goes through.
  const failing = new Proxy(client, {
    get(target, name, receiver) {
      if (name !== 'command') return Reflect.get(target, name, receiver) as unknown;
      return (params: Parameters<ClickHouseClient['command']>[0]) =>
        params.query.includes('INSERT INTO {db:Identifier}.{credits:Identifier}')
          ? Promise.reject(new Error('credits refused in a spec'))
          : target.command(params);
    },
  });
  const { database, state, kept, projection, early, rest, late } = await given({
    through: failing,
  });
  await projection.project([...early, ...rest, late], { atHead: true });
  const active = await state.ruleSet();
  expect(await kept.takeSnapshot(active)).not.toBeNull();
  expect(await count(database, 'lead_funnel_snapshot_markers')).toBe(1);
  expect(await count(database, 'lead_attribution_credit_markers')).toBe(0);
  expect(await keptReads(() => attribution(kept, active))).toBe(0);
  expect(await attribution(kept, active)).toBe(await attribution(state, active));
  await kept.close();
});
