import { InvalidVisitorIdError, type AnonymousTouchpointRecorded } from './visitor.events';
import {
  decideVisitor,
  evolveVisitor,
  initialVisitorState,
  type RecordAnonymousTouchpoint,
} from './visitor.decider';

const record = (touchpointId: string, visitorId = 'v_7f3a9c2e41'): RecordAnonymousTouchpoint => ({
  type: 'RecordAnonymousTouchpoint',
  data: { visitorId, touchpointId, kind: 'ad_click', channel: 'paid_search', campaign: 'spring' },
});
const recorded = (touchpointId: string): AnonymousTouchpointRecorded => ({
  type: 'AnonymousTouchpointRecorded',
  data: record(touchpointId).data,
});
const given = (...events: AnonymousTouchpointRecorded[]) =>
  events.reduce(evolveVisitor, initialVisitorState());

describe('visitor decider', () => {
  it('given no history, when an anonymous touchpoint is recorded, then it is recorded', () => {
    expect(decideVisitor(record('t1'), given())).toEqual([recorded('t1')]);
  });

  it('given the touchpoint already recorded, when it is sent again, then nothing is recorded', () => {
    expect(decideVisitor(record('t1'), given(recorded('t1')))).toEqual([]);
  });

  it('given other touchpoints, when a new one arrives, then it is recorded', () => {
    expect(decideVisitor(record('t2'), given(recorded('t1')))).toEqual([recorded('t2')]);
  });

  it.each(['short', 'has space in it', 'ada@example.com', 'x'.repeat(65)])(
    'refuses the visitor id %j',
    (visitorId) => {
      expect(() => decideVisitor(record('t1', visitorId), given())).toThrow(InvalidVisitorIdError);
    },
  );
});
