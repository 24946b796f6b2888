import { cloudEventType, parseCloudEventType } from './kafka-message.codec';
import { eventDataSchemas } from './event-schemas';

const touch = {
  visitorId: 'v_7f3a9c2e41',
  touchpointId: 'click-1',
  kind: 'ad_click',
  channel: 'paid_search',
  campaign: null,
};

const capture = {
  contact: { name: 'Ada', email: 'ada@example.com' },
  company: { name: 'Engines Ltd' },
  source: { channel: 'web' },
  productInterest: null,
  timeframe: null,
  consent: { marketing: true },
};

const issuePaths = (result: { error?: { issues: { path: PropertyKey[] }[] } }) =>
  (result.error?.issues ?? []).map((issue) => issue.path.join('.'));

describe('the contract of touches before capture (ADR 0012)', () => {
  it('accepts an anonymous touchpoint and names a malformed visitor id', () => {
    expect(eventDataSchemas.AnonymousTouchpointRecorded.safeParse(touch).success).toBe(true);
    const bad = eventDataSchemas.AnonymousTouchpointRecorded.safeParse({
      ...touch,
      visitorId: 'ada@example.com',
    });
    expect(issuePaths(bad)).toEqual(['visitorId']);
  });

  it('keeps visitorIds optional on LeadCaptured, and bounded when given', () => {
    expect(eventDataSchemas.LeadCaptured.safeParse(capture).success).toBe(true);
    expect(
      eventDataSchemas.LeadCaptured.safeParse({ ...capture, visitorIds: ['v_7f3a9c2e41'] }).success,
    ).toBe(true);
    for (const visitorIds of [[], ['v_7f3a9c2e41', 'v_7f3a9c2e41'], ['short']]) {
      const result = eventDataSchemas.LeadCaptured.safeParse({ ...capture, visitorIds });
      expect(issuePaths(result)[0]).toMatch(/^visitorIds/);
    }
  });

  it('travels on Kafka as a visitor event type and back', () => {
    const ceType = cloudEventType('AnonymousTouchpointRecorded', 1);
    expect(ceType).toBe('com.tandem.visitor.AnonymousTouchpointRecorded.v1');
    expect(parseCloudEventType(ceType)).toEqual({
      type: 'AnonymousTouchpointRecorded',
      schemaVersion: 1,
    });
  });
});
