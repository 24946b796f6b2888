/**
 * The embedded projector starts the views' snapshot of the active rule set once it reaches the
 * head (after a start with a backlog, and after a rebuild), and a marked snapshot starts its
 * day rollup and its attribution credits, so that the first view request reads them instead of
 * starting them and waiting behind their writes. No view is requested anywhere in this spec.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { leadStreamId } from '@tandem/domain';
import request from 'supertest';
import type { App } from 'supertest/types';
import type { AnalyticsHandle } from '../apps/funnel-api/src/platform/analytics.provider';
import { ANALYTICS } from '../apps/funnel-api/src/platform/tokens';
import { asRole } from './support/auth-headers';
import { eventually } from './support/eventually';
import {
  startFunnelApi,
  waitForProjection,
  type FunnelApiFixture,
} from './support/funnel-api.fixture';
import { leadJourney } from './support/lead-journeys';

jest.setTimeout(180_000);

const LEADS = 40;
let dir: string;
const apis: FunnelApiFixture[] = [];
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'tandem-snapshot-warmup-'));
});
afterAll(async () => {
  for (const api of apis) await api.close();
  await rm(dir, { recursive: true, force: true });
});

/** The marked snapshots of the active rule set: how many leads each covers, oldest first. */
async function snapshotLeads(api: FunnelApiFixture): Promise<number[]> {
  const analytics = api.app.get<AnalyticsHandle>(ANALYTICS);
  const active = await analytics.queries.ruleSet();
  const result = await analytics.client.query({
    query: `
      SELECT leads FROM {db:Identifier}.lead_funnel_snapshot_markers
      WHERE rules_version = {version:UInt32} AND definition_hash = {hash:String}
      ORDER BY taken_at`,
    query_params: {
      db: analytics.database,
      version: String(active.rulesVersion),
      hash: active.definitionHash,
    },
    format: 'JSONEachRow',
  });
  return (await result.json<{ leads: string }>()).map((row) => Number(row.leads));
}

/**
 * How many builds of what is kept per snapshot (`markers`: the day rollups' or the attribution
 * credits' marker table) are marked for the latest snapshot.
 */
async function keptOfLatest(api: FunnelApiFixture, markers: string): Promise<number> {
  const analytics = api.app.get<AnalyticsHandle>(ANALYTICS);
  const result = await analytics.client.query({
    query: `
      SELECT count() AS n FROM {db:Identifier}.{markers:Identifier}
      WHERE snapshot_id = (
          SELECT snapshot_id FROM {db:Identifier}.lead_funnel_snapshot_markers
          ORDER BY taken_at DESC LIMIT 1)`,
    query_params: { db: analytics.database, markers },
    format: 'JSONEachRow',
  });
  const [row] = await result.json<{ n: string }>();
  return Number(row?.n ?? 0);
}

const rollupsOfLatest = (api: FunnelApiFixture) => keptOfLatest(api, 'lead_funnel_rollup_markers');
const creditsOfLatest = (api: FunnelApiFixture) =>
  keptOfLatest(api, 'lead_attribution_credit_markers');

const credited = (api: FunnelApiFixture) =>
  eventually(
    async () => ((await creditsOfLatest(api)) > 0 ? true : undefined),
    'attribution credits of the latest snapshot',
  );

const rolledUp = (api: FunnelApiFixture) =>
  eventually(
    async () => ((await rollupsOfLatest(api)) > 0 ? true : undefined),
    "a day rollup of the latest snapshot (the trend's and targets')",
  );

const snapshotted = (api: FunnelApiFixture) =>
  eventually(async () => {
    const leads = await snapshotLeads(api);
    return leads.length > 0 ? leads : undefined;
  }, 'a marked snapshot of the active rule set');

it('snapshots the views once the projection reaches the head, before any view asks', async () => {
  // A store with history, and an API started on it with analytics of its own: it catches up
  // on the whole backlog, then snapshots.
  const eventStore = { kind: 'pglite', dataDir: join(dir, 'pglite'), schema: 'tandem' } as const;
  const writer = await startFunnelApi(join(dir, 'chdb-writer'), { eventStore });
  apis.push(writer);
  for (let i = 0; i < LEADS; i++) {
    const journey = leadJourney(i, i % 2 === 0 ? 'webinar' : 'referral');
    await writer.store.append(leadStreamId(journey.leadId), journey.events, {
      expectedRevision: 'no_stream',
    });
  }
  await writer.close();
  apis.pop();

  const api = await startFunnelApi(join(dir, 'chdb-reader'), { eventStore });
  apis.push(api);
  const http = api.app.getHttpServer() as App;
  await waitForProjection(http);
  expect(await snapshotted(api)).toEqual([LEADS]);
  await rolledUp(api);
  await credited(api);

  // A rebuild empties the snapshots with the tables; the projector takes one again at the head.
  await request(http).post('/ops/rebuild').set(asRole('ops')).expect(202);
  await waitForProjection(http);
  expect(await snapshotted(api)).toEqual([LEADS]);
  await rolledUp(api);
  await credited(api);
});
