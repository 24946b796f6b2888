/**
 * The embedded projector's dead letters on real engines (PGlite + chDB), through HTTP: an event
 * in the store that no decoder accepts is set aside in projection_dead_letters with its
 * position, type and reason, shown on /health, and the checkpoint passes it only then — also
 * when it is the last event of the log. The events around it are projected; a rebuild sets the
 * same event aside once more, not twice.
 */
import { leadStreamId } from '@tandem/domain';
import request from 'supertest';
import { v7 as uuidv7 } from 'uuid';
import type { AnalyticsHandle } from '../apps/funnel-api/src/platform/analytics.provider';
import { ANALYTICS } from '../apps/funnel-api/src/platform/tokens';
import { asRole } from './support/auth-headers';
import { eventually } from './support/eventually';
import { waitForProjection, funnelApiPerFile } from './support/funnel-api.fixture';
import { leadJourney } from './support/lead-journeys';

jest.setTimeout(180_000);

const suite = funnelApiPerFile('dead-letters');

interface Health {
  projector: {
    caughtUp: boolean;
    rejectedEvents: number;
    failure: string | null;
    deadLetters: {
      count: number;
      latest: { eventId: string; position: string; type: string; reason: string }[];
    };
  };
}
const health = async () =>
  (await request(suite.http).get('/health').set(asRole('ops')).expect(200)).body as Health;

/** An event with no envelope metadata, written past the API as a buggy writer would. */
async function appendPoison(): Promise<{ eventId: string; position: bigint }> {
  const eventId = uuidv7();
  const appended = await suite.api.store.append(
    `lead-${uuidv7()}`,
    [{ eventId, type: 'LeadCaptured', schemaVersion: 1, data: {}, metadata: {} }],
    { expectedRevision: 'no_stream' },
  );
  return { eventId, position: appended.lastGlobalPosition };
}

async function appendJourney(index: number): Promise<void> {
  const journey = leadJourney(index);
  await suite.api.store.append(leadStreamId(journey.leadId), journey.events, {
    expectedRevision: 'no_stream',
  });
}

async function eventsCheckpoint(): Promise<bigint> {
  const { client, database } = suite.api.app.get<AnalyticsHandle>(ANALYTICS);
  const result = await client.query({
    query: `SELECT toString(max(position)) AS position FROM {db:Identifier}.projection_checkpoint
            WHERE projection_name = 'lead_events'`,
    query_params: { db: database },
    format: 'JSONEachRow',
  });
  const [row] = await result.json<{ position: string }>();
  return BigInt(row?.position ?? '0');
}

const capturedLeads = async () => {
  const funnel = await request(suite.http).get('/analytics/funnel').set(asRole('ops')).expect(200);
  return (funnel.body as { stage: string; leads: number }[]).find((r) => r.stage === 'captured')
    ?.leads;
};

it('sets a poison event aside with its reason, shows it on /health, and moves on', async () => {
  await appendJourney(0);
  const middle = await appendPoison();
  await appendJourney(1);
  const last = await appendPoison();
  await waitForProjection(suite.http);

  const seen = await eventually(async () => {
    const now = await health();
    return now.projector.deadLetters.count === 2 ? now : undefined;
  }, 'both poison events are set aside');
  expect(seen.projector.failure).toBeNull();
  expect(seen.projector.rejectedEvents).toBe(2);
  expect(seen.projector.deadLetters.latest).toEqual([
    {
      eventId: last.eventId,
      position: last.position.toString(),
      type: 'LeadCaptured',
      reason: expect.stringMatching(/\S/),
    },
    {
      eventId: middle.eventId,
      position: middle.position.toString(),
      type: 'LeadCaptured',
      reason: expect.stringMatching(/\S/),
    },
  ]);
  // The checkpoint passed the last event of the log only because it is dead-lettered.
  expect(await eventsCheckpoint()).toBe(last.position);
  expect(await capturedLeads()).toBe(2);

  // Readiness names the projection: events were refused.
  const ready = await request(suite.http).get('/health/ready');
  expect(ready.status).toBe(503);
  expect(ready.body).toMatchObject({ checks: { projection: { refusedEvents: 2 } } });

  await request(suite.http).post('/ops/rebuild').set(asRole('ops')).expect(202);
  await waitForProjection(suite.http);
  const rebuilt = await eventually(async () => {
    const now = await health();
    return now.projector.deadLetters.count === 2 && now.projector.rejectedEvents === 2
      ? now
      : undefined;
  }, 'the rebuild sets the same events aside once');
  expect(rebuilt.projector.deadLetters.latest.map((letter) => letter.eventId)).toEqual([
    last.eventId,
    middle.eventId,
  ]);
  expect(await eventsCheckpoint()).toBe(last.position);
  expect(await capturedLeads()).toBe(2);
});
