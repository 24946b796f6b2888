import { EVENT_TYPE, excludeSystemEvents } from '@kurrent/kurrentdb-client';
import { v7 as uuidv7 } from 'uuid';
import { InvalidAppendError } from '../event-store.errors';
import type { EventToAppend } from '../event-store.port';
import {
  CHECKPOINT_EVENT_TYPE,
  CHECKPOINT_STREAM_PREFIX,
  DELIVERABLE_EVENT_TYPE_REGEX,
  checkpointStreamName,
  deliverableEventsFilter,
  isDeliverable,
  isDeliverableEventType,
  isHiddenStream,
  refuseHiddenNames,
} from './kurrentdb-filters';

/** What the server does with a regex filter: .NET `Regex.Match(type).Success`, i.e. a search. */
function serverLets(regex: string, eventType: string): boolean {
  return new RegExp(regex).test(eventType);
}

const systemTypes = [
  '$>',
  '$@',
  '$metadata',
  '$streamDeleted',
  '$statsCollected',
  '$ProjectionCreated',
];
const bookkeepingTypes = [CHECKPOINT_EVENT_TYPE, 'tandem.anything-else'];
const domainTypes = [
  'LeadCaptured',
  'TouchpointRecorded',
  'DealWon',
  'ContractChecked',
  'tandemish',
  'Tandem.Checkpoint',
  'x$y',
];

describe('KurrentDB filters', () => {
  it('filters on event type with the deliverable-types regex', () => {
    expect(deliverableEventsFilter()).toMatchObject({
      filterOn: EVENT_TYPE,
      regex: DELIVERABLE_EVENT_TYPE_REGEX,
    });
  });

  it.each(systemTypes)('hides the system event type %s on the server', (type) => {
    expect(serverLets(DELIVERABLE_EVENT_TYPE_REGEX, type)).toBe(false);
    // Everything the client's own excludeSystemEvents() drops, this filter drops too.
    expect(serverLets(excludeSystemEvents().regex, type)).toBe(false);
  });

  it.each(bookkeepingTypes)('hides the bookkeeping type %s on the server', (type) => {
    expect(serverLets(DELIVERABLE_EVENT_TYPE_REGEX, type)).toBe(false);
  });

  it.each(domainTypes)('lets the domain event type %s through', (type) => {
    expect(serverLets(DELIVERABLE_EVENT_TYPE_REGEX, type)).toBe(true);
  });

  it('mirrors the server filter on the client, type for type', () => {
    for (const type of [...systemTypes, ...bookkeepingTypes, ...domainTypes]) {
      expect([type, isDeliverableEventType(type)]).toEqual([
        type,
        serverLets(DELIVERABLE_EVENT_TYPE_REGEX, type),
      ]);
    }
  });

  it('hides system streams and checkpoint streams, whatever their event types', () => {
    expect(isHiddenStream('$all')).toBe(true);
    expect(isHiddenStream('$$lead-1')).toBe(true);
    expect(isHiddenStream('$ce-lead')).toBe(true);
    expect(isHiddenStream(checkpointStreamName('relay'))).toBe(true);
    expect(isHiddenStream('lead-1')).toBe(false);
    expect(isDeliverable('$et-LeadCaptured', 'LeadCaptured')).toBe(false);
    expect(isDeliverable('lead-1', '$>')).toBe(false);
    expect(isDeliverable('lead-1', 'LeadCaptured')).toBe(true);
  });

  it('names checkpoint streams without $, so they are ordinary streams', () => {
    expect(checkpointStreamName('relay')).toBe('tandem-checkpoint-relay');
    expect(checkpointStreamName('relay').startsWith('$')).toBe(false);
  });

  describe('refuseHiddenNames', () => {
    const event = (type: string): EventToAppend => ({
      eventId: uuidv7(),
      type,
      schemaVersion: 1,
      data: {},
      metadata: {},
    });

    it('accepts domain events in ordinary streams', () => {
      expect(() => refuseHiddenNames('lead-1', [event('LeadCaptured')])).not.toThrow();
    });

    it('refuses types the $all filter would hide', () => {
      for (const type of [...systemTypes, ...bookkeepingTypes]) {
        expect(() => refuseHiddenNames('lead-1', [event('LeadCaptured'), event(type)])).toThrow(
          InvalidAppendError,
        );
      }
      expect(() => refuseHiddenNames('lead-1', [event('$>')])).toThrow(
        /event #0: type \$> is reserved/,
      );
    });

    it('refuses appends to checkpoint streams', () => {
      expect(() =>
        refuseHiddenNames(`${CHECKPOINT_STREAM_PREFIX}relay`, [event('LeadCaptured')]),
      ).toThrow(InvalidAppendError);
    });
  });
});
