/**
 * A ClickHouse write that fails does not stop the embedded projector for good: /health shows
 * the failure while it retries with back-off from its checkpoints, and once ClickHouse takes
 * writes again the projection catches up to exactly what a rebuild gives.
 */
import { leadStreamId } from '@tandem/domain';
import request from 'supertest';
import type { AnalyticsHandle } from '../apps/funnel-api/src/platform/analytics.provider';
import { ANALYTICS } from '../apps/funnel-api/src/platform/tokens';
import { eventually } from './support/eventually';
import { waitForProjection, funnelApiPerFile } from './support/funnel-api.fixture';
import { leadJourney } from './support/lead-journeys';
import { asRole } from './support/auth-headers';

jest.setTimeout(180_000);

const suite = funnelApiPerFile('retry');

async function appendJourneys(from: number, count: number): Promise<void> {
  for (let i = from; i < from + count; i++) {
    const journey = leadJourney(i);
    await suite.api.store.append(leadStreamId(journey.leadId), journey.events, {
      expectedRevision: 'no_stream',
    });
  }
}

interface Health {
  projector: { caughtUp: boolean; failure: string | null };
}
const health = async () =>
  (await request(suite.http).get('/health').set(asRole('ops')).expect(200)).body as Health;
const funnel = async () =>
  (await request(suite.http).get('/analytics/funnel').set(asRole('ops')).expect(200)).text;

it('retries a failed ClickHouse write until it goes through, and ends as a rebuild would', async () => {
  await appendJourneys(0, 10);
  await waitForProjection(suite.http);

  // Take away a table every batch writes: the next batches fail.
  const { client, database } = suite.api.app.get<AnalyticsHandle>(ANALYTICS);
  const rename = (from: string, to: string) =>
    client.command({
      query: 'RENAME TABLE {db:Identifier}.{from:Identifier} TO {db:Identifier}.{to:Identifier}',
      query_params: { db: database, from, to },
    });
  await rename('projection_checkpoint', 'projection_checkpoint_away');
  await appendJourneys(10, 10);
  const failing = await eventually(
    async () => ((await health()).projector.failure === null ? undefined : await health()),
    'the failure shows on /health',
    60_000,
  );
  expect(failing.projector.caughtUp).toBe(false);

  await rename('projection_checkpoint_away', 'projection_checkpoint');
  await eventually(
    async () => {
      const now = await health();
      return now.projector.caughtUp && now.projector.failure === null ? true : undefined;
    },
    'the projector recovers and catches up',
    90_000,
  );
  const recovered = await funnel();

  await request(suite.http).post('/ops/rebuild').set(asRole('ops')).expect(202);
  await waitForProjection(suite.http);
  expect(recovered).toBe(await funnel());
  expect(JSON.parse(recovered)[0]).toMatchObject({ stage: 'captured', leads: 20 });
});
