import type { RecordedEvent } from '@tandem/event-store';
import { leadCommandResultSchema } from '../../leads/lead-command.responses';
import { recoveredResponse } from './recovered-response';

let position = 40n;
const recorded = (
  streamId: string,
  type: string,
  streamRevision: number,
  metadata: Record<string, unknown> = {},
): RecordedEvent => ({
  eventId: `event-${type}-${streamRevision}`,
  type,
  schemaVersion: 1,
  data: {},
  metadata,
  streamId,
  streamRevision: BigInt(streamRevision),
  globalPosition: (position += 1n),
  recordedAt: new Date('2026-01-01T00:00:00Z'),
});

describe('recoveredResponse: the answer a dead attempt would have given, from its events', () => {
  it("answers a lead's command exactly as the command routes do", () => {
    const events = [
      recorded('lead-a1', 'LeadProfiled', 3, { leadId: 'a1' }),
      recorded('lead-a1', 'LeadScored', 4, { leadId: 'a1' }),
    ];
    const { headers, body } = recoveredResponse(events);

    expect(body).toEqual({
      leadId: 'a1',
      revision: 4,
      events: [
        { eventId: 'event-LeadProfiled-3', type: 'LeadProfiled' },
        { eventId: 'event-LeadScored-4', type: 'LeadScored' },
      ],
    });
    // Not a field more than the documented answer (the schema the OpenAPI document is made of).
    expect(leadCommandResultSchema.strict().safeParse(body).success).toBe(true);
    expect(headers).toEqual({});
  });

  it("gives a capture its timeline's Location, as its first answer had", () => {
    const { headers } = recoveredResponse([
      recorded('lead-hubspot:9', 'LeadCaptured', 0, { leadId: 'hubspot:9' }),
    ]);
    expect(headers).toEqual({ location: '/leads/hubspot:9/timeline' });
  });

  it("answers as a lead's command only events of that lead's own stream", () => {
    const stitched = recoveredResponse([
      recorded('visitor-v1', 'AnonymousTouchpointRecorded', 0, { leadId: 'a1' }),
    ]);
    expect(stitched.body).toEqual({ eventId: 'event-AnonymousTouchpointRecorded-0' });
    const elsewhere = recoveredResponse([
      recorded('lead-b2', 'LeadProfiled', 1, { leadId: 'a1' }),
    ]).body;
    expect(elsewhere).not.toHaveProperty('leadId');
  });

  it("answers a target and a campaign's spend with the event and the stream's revision", () => {
    expect(recoveredResponse([recorded('campaign-q1', 'CampaignSpendRecorded', 2)]).body).toEqual({
      eventId: 'event-CampaignSpendRecorded-2',
      revision: 2,
      events: [{ eventId: 'event-CampaignSpendRecorded-2', type: 'CampaignSpendRecorded' }],
    });
    expect(recoveredResponse([recorded('targets', 'TargetSet', 0)]).body).toEqual({
      eventId: 'event-TargetSet-0',
      revision: 0,
      events: [{ eventId: 'event-TargetSet-0', type: 'TargetSet' }],
    });
  });

  it("answers a visitor's touchpoint with its event", () => {
    expect(
      recoveredResponse([recorded('visitor-v1', 'AnonymousTouchpointRecorded', 5)]).body,
    ).toEqual({ eventId: 'event-AnonymousTouchpointRecorded-5' });
  });

  it('answers anything else with the fields every command answer shares', () => {
    const event = recorded('funnel-definition', 'FunnelDefinitionPublished', 1);
    expect(recoveredResponse([event])).toEqual({
      headers: {},
      body: {
        revision: 1,
        eventId: event.eventId,
        globalPosition: event.globalPosition.toString(),
        events: [{ eventId: event.eventId, type: 'FunnelDefinitionPublished' }],
      },
    });
  });

  it('refuses to invent an answer from no events', () => {
    expect(() => recoveredResponse([])).toThrow(/no events/);
  });
});
