/**
 * A rebuild asked for while the projector is still catching up set-based (a start far behind,
 * or an earlier rebuild): the catch-up in flight stops before the reset, so none of its slices,
 * rule rows or checkpoints land in the emptied tables. The views, once at the head, are the
 * live ones byte for byte. Before the fix the first catch-up ran on beside the second and moved
 * the shared checkpoint past slices the reset had emptied.
 * The views' background builds a rebuild suspends start again only at the head: before that fix
 * they started once the set-based part was done, while the last events were still followed
 * batch by batch (the whole log, for a store or a gap the catch-up does not take set-based).
 */
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { readProjectionCheckpoints } from '@tandem/analytics';
import { leadStreamId } from '@tandem/domain';
import request from 'supertest';
import type { AnalyticsHandle } from '../apps/funnel-api/src/platform/analytics.provider';
import { ANALYTICS } from '../apps/funnel-api/src/platform/tokens';
import { asRole } from './support/auth-headers';
import { eventually } from './support/eventually';
import { funnelApiPerFile, waitForProjection } from './support/funnel-api.fixture';
import { leadJourney } from './support/lead-journeys';
import { readViews, viewDifferences } from './support/view-fingerprint';

jest.setTimeout(240_000);

// Slices of 40 events: a rebuild of this history takes many, so one can be asked for mid-way.
const suite = funnelApiPerFile('rebuild-during-catch-up', {
  bulkCatchUp: { minEvents: 40, sliceEvents: 40 },
});

let baseUrl: string;
beforeAll(async () => {
  // readViews speaks HTTP to a listening API (every view under every kept rule set).
  const server = (await suite.api.app.listen(0, '127.0.0.1')) as Server;
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  for (let i = 0; i < 40; i++) {
    const journey = leadJourney(i, i % 2 === 0 ? 'webinar' : 'referral');
    await suite.api.store.append(leadStreamId(journey.leadId), journey.events, {
      expectedRevision: 'no_stream',
    });
  }
});

/** The events checkpoint of the projection (null before the first slice is covered). */
async function eventsCheckpoint(): Promise<bigint | null> {
  const analytics = suite.api.app.get<AnalyticsHandle>(ANALYTICS);
  const checkpoints = await readProjectionCheckpoints(analytics.client, {
    database: analytics.database,
  });
  return checkpoints.events === null ? null : BigInt(checkpoints.events);
}

it('a rebuild during a set-based catch-up stops it first, and the views come out as live', async () => {
  await waitForProjection(suite.http);
  const live = await readViews(baseUrl);
  const head = (await suite.api.store.headPosition()) ?? 0n;
  expect(head).toBeGreaterThan(200n);

  await request(suite.http).post('/ops/rebuild').set(asRole('ops')).expect(202);
  // Mid-way: some slices covered, not all.
  const midWay = await eventually(
    async () => {
      const at = await eventsCheckpoint();
      return at !== null && at > 0n && at < head ? at : undefined;
    },
    'the first rebuild is mid-way through its catch-up',
    60_000,
  );
  await request(suite.http).post('/ops/rebuild').set(asRole('ops')).expect(202);
  await waitForProjection(suite.http);

  expect(midWay).toBeLessThan(head);
  expect(await eventsCheckpoint()).toBe(head);
  expect(viewDifferences(live, await readViews(baseUrl))).toEqual([]);
});

it('a rebuild lets the views build a snapshot again only once the projection is back at the head', async () => {
  // The rebuild catches up in slices of 40 events, then follows the last ones (up to 40) batch
  // by batch before it is at the head.
  await waitForProjection(suite.http);
  const analytics = suite.api.app.get<AnalyticsHandle>(ANALYTICS);
  const head = (await suite.api.store.headPosition()) ?? 0n;
  expect(head).toBeGreaterThan(40n);
  // A snapshot asked for the moment the rebuild's suspension of the background builds ends:
  // what a view's request or the projector would start then.
  let taken: ReturnType<typeof analytics.queries.takeSnapshot> | null = null;
  const suspend = analytics.queries.suspendBackgroundBuilds.bind(analytics.queries);
  const suspending = jest
    .spyOn(analytics.queries, 'suspendBackgroundBuilds')
    .mockImplementation(async (why) => {
      const release = await suspend(why);
      return () => {
        release();
        taken ??= analytics.queries.takeSnapshot();
      };
    });
  try {
    await request(suite.http).post('/ops/rebuild').set(asRole('ops')).expect(202);
    await waitForProjection(suite.http);
    await eventually(async () => (taken === null ? undefined : true), 'the builds are released');
    const snapshot = await taken!;
    // Of the whole rebuilt state: taken at the head, not of a catch-up still under way.
    expect(snapshot?.position).toBe(head.toString());
    expect(snapshot?.leads).toBe(40);
  } finally {
    suspending.mockRestore();
  }
});
