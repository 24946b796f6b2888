import type { Envelope, LeadEvent, VisitorEvent } from '@tandem/domain';
import { analyticsData, toLeadEventRow } from './lead-event.row';
import { toVisitorTouchRow } from './visitor-touch.row';
import { createEventLog, leadEvent } from '../testing/event-log.fixture';

const touch: Envelope<VisitorEvent> = {
  eventId: '01940000-0000-7000-8000-00000000000B',
  schemaVersion: 1,
  leadId: null,
  accountId: null,
  occurredAt: '2025-01-04T10:15:30.123+01:00',
  recordedAt: '2025-01-04T09:15:31Z',
  correlationId: 'correlation-1',
  causationId: null,
  actor: { kind: 'service', id: 'tracking', role: 'marketing' },
  streamId: 'visitor-v_7f3a9c2e41',
  streamRevision: 0,
  globalPosition: '42',
  type: 'AnonymousTouchpointRecorded',
  data: {
    visitorId: 'v_7f3a9c2e41',
    touchpointId: 'click-1',
    kind: 'ad_click',
    channel: 'paid_search',
    campaign: null,
  },
};

describe('toVisitorTouchRow', () => {
  it('maps an anonymous touch to its visitor_touches row, campaign "" when none', () => {
    expect(toVisitorTouchRow(touch)).toEqual({
      kind: 'row',
      row: {
        event_id: '01940000-0000-7000-8000-00000000000b',
        visitor_id: 'v_7f3a9c2e41',
        touchpoint_id: 'click-1',
        kind: 'ad_click',
        channel: 'paid_search',
        campaign: '',
        occurred_at: '2025-01-04 09:15:30.123',
        global_position: '42',
        recorded_at: '2025-01-04 09:15:31.000',
      },
    });
  });

  it('refuses a touch filed under another visitor stream', () => {
    expect(toVisitorTouchRow({ ...touch, streamId: 'visitor-someone_else' })).toMatchObject({
      kind: 'invalid',
    });
  });

  it('skips every other event, and lead_events skips the anonymous touch', () => {
    const log = createEventLog();
    const captured = log.lead('L1', leadEvent.captured('web', 'spring'));
    expect(toVisitorTouchRow(captured).kind).toBe('skip');
    expect(toLeadEventRow(touch).kind).toBe('skip');
  });
});

describe("LeadCaptured's visitor ids in lead_events", () => {
  const capture = leadEvent.captured('web', 'spring') as Extract<
    LeadEvent,
    { type: 'LeadCaptured' }
  >;

  it('keeps the stitched visitor ids, as the last key', () => {
    const data = analyticsData({
      ...capture,
      data: { ...capture.data, visitorIds: ['v_7f3a9c2e41', 'v_phone_0042'] },
    });
    expect(Object.keys(data).at(-1)).toBe('visitorIds');
    expect(data.visitorIds).toEqual(['v_7f3a9c2e41', 'v_phone_0042']);
  });

  it('writes no key for a capture without visitors, as before the field existed', () => {
    expect(Object.keys(analyticsData(capture))).not.toContain('visitorIds');
  });
});
