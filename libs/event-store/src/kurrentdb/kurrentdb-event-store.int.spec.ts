/**
 * The KurrentDB adapter against a real server: the port's contract, plus what ADR 0003
 * assumes about the server (commit == prepare for every appended event, filters,
 * checkpoint streams). Runs when KURRENTDB_URL is set, e.g.
 *   docker run -d -p 2113:2113 kurrentplatform/kurrentdb:26.1.2 --insecure
 *   KURRENTDB_URL='kurrentdb://127.0.0.1:2113?tls=false' NODE_OPTIONS=--experimental-vm-modules \
 *     npx jest libs/event-store/src/kurrentdb --selectProjects int --runInBand
 * Otherwise it prints one line saying why it skipped. Every test writes to fresh uuid
 * streams and checkpoint names, so a shared server can be reused across runs.
 */
import { FORWARDS, KurrentDBClient } from '@kurrent/kurrentdb-client';
import { v7 as uuidv7 } from 'uuid';
import { describeEventStoreContract } from '../event-store.contract';
import type { EventToAppend } from '../event-store.port';
import { CHECKPOINT_EVENT_TYPE, checkpointStreamName } from './kurrentdb-filters';
import { createKurrentDbEventStore, type KurrentDbEventStore } from './kurrentdb-event-store';

const url = process.env.KURRENTDB_URL?.trim() ?? '';

function skipReason(): string {
  return 'KurrentDB contract suite skipped: KURRENTDB_URL is not set and no Docker engine is reachable (the int global setup starts kurrentplatform/kurrentdb with testcontainers when one is)';
}

if (url === '') {
  // Registering the contract would let it print notes of its own; one line is the skip reason.
  // Straight to stderr: jest drops the console output of a suite whose tests are all skipped.
  process.stderr.write(`${skipReason()}\n`);
  describe.skip('KurrentDB event store', () => {
    it('runs the EventStore contract and the server specifics against KURRENTDB_URL', () => {});
  });
} else {
  describeKurrentDb();
}

function describeKurrentDb(): void {
  describe('KurrentDB event store', () => {
    describeEventStoreContract(
      'KurrentDB server',
      async () => {
        const store = await createKurrentDbEventStore({
          connectionString: url,
          pollIntervalMs: 200,
        });
        return { store, cleanup: () => store.close() };
      },
      { eventIdsUniqueAcrossStreams: false },
    );

    describe('server specifics', () => {
      let store: KurrentDbEventStore;
      let raw: KurrentDBClient;

      beforeAll(async () => {
        store = await createKurrentDbEventStore({ connectionString: url });
        raw = KurrentDBClient.connectionString(url);
      });

      afterAll(async () => {
        await store.close();
        await raw.dispose();
      });

      it('reports each event of a multi-event append at commit == prepare, in order (ADR 0003)', async () => {
        const stream = `kdb-positions-${uuidv7()}`;
        const head = await store.headPosition();
        const result = await store.append(stream, [anEvent(), anEvent(), anEvent()], {
          expectedRevision: 'no_stream',
        });
        const positions = [];
        for await (const resolved of raw.readStream(stream, { direction: FORWARDS })) {
          positions.push(resolved.event!.position!);
        }
        expect(positions).toHaveLength(3);
        for (const position of positions) expect(position.prepare).toBe(position.commit);
        expect(positions[0]!.commit).toBeLessThan(positions[1]!.commit);
        expect(positions[1]!.commit).toBeLessThan(positions[2]!.commit);
        expect(positions[2]!.commit).toBe(result.lastGlobalPosition);

        // And $all reports the same positions.
        const fromAll = await store.readAll({ after: head, maxCount: 1000 });
        expect(
          fromAll.filter((event) => event.streamId === stream).map((event) => event.globalPosition),
        ).toEqual(positions.map((position) => position.commit));
      });

      it('keeps checkpoint and metadata events off $all for the port, though they are stored', async () => {
        const head = await store.headPosition();
        const name = `kdb-${uuidv7()}`;
        await store.checkpoints.save(name, 1n, null);
        await store.checkpoints.save(name, 2n, 1n);
        const lead = await store.append(`kdb-after-${uuidv7()}`, [anEvent()], {
          expectedRevision: 'no_stream',
        });

        const seen = await store.readAll({ after: head, maxCount: 1000 });
        expect(seen.some((event) => event.streamId.includes(name))).toBe(false);
        expect(seen.map((event) => event.globalPosition)).toContain(lead.lastGlobalPosition);

        const stored = [];
        for await (const resolved of raw.readStream(checkpointStreamName(name))) {
          stored.push(resolved.event!.type);
        }
        expect(stored).toEqual([CHECKPOINT_EVENT_TYPE]); // $maxCount = 1 hides the older one
        const metadata = await raw.getStreamMetadata(checkpointStreamName(name));
        expect(metadata.metadata?.maxCount).toBe(1);
      });

      it('answers reads of system and checkpoint streams as if they did not exist', async () => {
        const name = `kdb-${uuidv7()}`;
        await store.checkpoints.save(name, 1n, null);
        expect(await store.readStream(checkpointStreamName(name))).toEqual([]);
        expect(await store.readStream('$streams')).toEqual([]);
      });

      it('treats a repeated append of the same ids to the same stream as done (server idempotency)', async () => {
        const stream = `kdb-idempotent-${uuidv7()}`;
        const events = [anEvent(), anEvent()];
        const first = await store.append(stream, events, { expectedRevision: 'no_stream' });
        const again = await store.append(stream, events, { expectedRevision: 'no_stream' });
        expect(again.nextExpectedRevision).toBe(first.nextExpectedRevision);
        expect(await store.readStream(stream)).toHaveLength(2);
      });
    });
  });
}

function anEvent(): EventToAppend {
  return {
    eventId: uuidv7(),
    type: 'KurrentDbChecked',
    schemaVersion: 1,
    data: { nonce: uuidv7() },
    metadata: {},
  };
}
