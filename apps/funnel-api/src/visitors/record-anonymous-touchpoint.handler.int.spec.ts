/**
 * A visitor's touches sent at once (a page's tracking beacons, or a beacon and its retry) all
 * read the visitor's stream at the same revision and race to append at it. The route takes no
 * expectedRevision, so that conflict is never the client's: each touch is decided again on what
 * the store holds, a new touchpoint id is recorded and one already recorded is answered as the
 * retry it is. A barrier on the store's reads makes every command read before any appends, so
 * the race is the same on every run.
 */
import { randomUUID } from 'node:crypto';
import {
  type Actor,
  type RecordAnonymousTouchpoint as Touch,
  visitorStreamId,
} from '@tandem/domain';
import {
  createPgliteEventStore,
  type EventStore,
  type PostgresEventStore,
} from '@tandem/event-store';
import {
  RecordAnonymousTouchpoint,
  RecordAnonymousTouchpointHandler,
} from './record-anonymous-touchpoint.handler';

const actor: Actor = { kind: 'user', id: 'snippet@example.com', role: 'marketing' };

/** The store, with the first `reads` reads of `streamId` held until all of them have arrived. */
function readingTogether(store: EventStore, streamId: string, reads: number): EventStore {
  let waiting = 0;
  let release: () => void = () => undefined;
  const together = new Promise<void>((resolve) => (release = resolve));
  return new Proxy(store, {
    get(target, property, receiver) {
      if (property !== 'readStream') {
        const value: unknown = Reflect.get(target, property, receiver);
        return typeof value === 'function' ? (value as () => unknown).bind(target) : value;
      }
      return async (id: string, ...rest: unknown[]) => {
        if (id === streamId && waiting < reads) {
          waiting += 1;
          if (waiting === reads) release();
          await together;
        }
        return (target.readStream as (...args: unknown[]) => unknown).call(target, id, ...rest);
      };
    },
  });
}

describe('touches of one visitor sent at once', () => {
  let store: PostgresEventStore;

  beforeAll(async () => {
    store = await createPgliteEventStore({ memory: true });
  });

  afterAll(async () => {
    await store?.close();
  });

  const touch = (visitorId: string, touchpointId: string): Touch => ({
    type: 'RecordAnonymousTouchpoint',
    data: { visitorId, touchpointId, kind: 'page_view', channel: 'web', campaign: null },
  });
  const send = (handler: RecordAnonymousTouchpointHandler, command: Touch) =>
    handler.execute(
      new RecordAnonymousTouchpoint(command, undefined, {
        actor,
        correlationId: randomUUID(),
        causationId: null,
      }),
    );
  const recorded = async (visitorId: string) =>
    (await store.readStream(visitorStreamId(visitorId)))
      .map((event) => (event.data as { touchpointId: string }).touchpointId)
      .sort();

  it('records each of several different touches, none refused with a conflict', async () => {
    const visitorId = `v_${randomUUID()}`;
    const ids = ['p1', 'p2', 'p3', 'p4'];
    const handler = new RecordAnonymousTouchpointHandler(
      readingTogether(store, visitorStreamId(visitorId), ids.length),
    );

    const outcomes = await Promise.allSettled(ids.map((id) => send(handler, touch(visitorId, id))));

    expect(outcomes.map((outcome) => outcome.status)).toEqual(ids.map(() => 'fulfilled'));
    expect(await recorded(visitorId)).toEqual(ids);
  });

  it('records a touch racing its retries once, and answers each retry as one', async () => {
    const visitorId = `v_${randomUUID()}`;
    const handler = new RecordAnonymousTouchpointHandler(
      readingTogether(store, visitorStreamId(visitorId), 3),
    );

    const outcomes = await Promise.allSettled(
      [1, 2, 3].map(() => send(handler, touch(visitorId, 'p1'))),
    );

    expect(outcomes.map((outcome) => outcome.status)).toEqual([
      'fulfilled',
      'fulfilled',
      'fulfilled',
    ]);
    const eventIds = outcomes.map((outcome) =>
      outcome.status === 'fulfilled' ? outcome.value.eventId : undefined,
    );
    expect(eventIds.filter((id) => id !== null)).toHaveLength(1);
    expect(await recorded(visitorId)).toEqual(['p1']);
  });
});
