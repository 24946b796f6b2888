/**
 * The PostgreSQL adapter on embedded PGlite: the port's contract on an in-memory
 * database, and what the embedded default promises on top — a data directory that
 * keeps its events across restarts.
 */
import { spawn, spawnSync } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { v7 as uuidv7 } from 'uuid';
import { describeWithPglite, eventually } from '@tandem/testing';
import { describeEventStoreContract } from '../event-store.contract';
import type { EventToAppend } from '../event-store.port';
import { PgliteDataDirInUseError } from './pglite-data-dir.lock';
import { createPgliteEventStore } from './postgres-event-store.factories';

const BOOT_TIMEOUT_MS = 60_000;

describeWithPglite('PGlite event store', (db) => {
  describeEventStoreContract('PGlite in memory', async () => {
    const store = await createPgliteEventStore({
      db: db(),
      schema: 'contract',
      pollIntervalMs: 50,
    });
    return { store, cleanup: () => store.close() };
  });

  // The same contract with the engine on its own thread (pglite-thread.executor.ts): one
  // data directory, reopened by every test, as the API reopens it at each start.
  const threadDir = mkdtempSync(join(tmpdir(), 'tandem-pglite-thread-'));
  afterAll(() => rmSync(threadDir, { recursive: true, force: true }));
  describeEventStoreContract('PGlite on a worker thread', async () => {
    const store = await createPgliteEventStore({
      dataDir: threadDir,
      thread: true,
      schema: 'contract',
      pollIntervalMs: 50,
    });
    return { store, cleanup: () => store.close() };
  });

  describe('embedded specifics', () => {
    it(
      'keeps events and checkpoints in its data directory across restarts',
      async () => {
        const dataDir = mkdtempSync(join(tmpdir(), 'tandem-pglite-'));
        try {
          const stream = `restart-${uuidv7()}`;
          const event = anEvent();
          const first = await createPgliteEventStore({ dataDir });
          const appended = await first.append(stream, [event], { expectedRevision: 'no_stream' });
          await first.checkpoints.save('relay', appended.lastGlobalPosition, null);
          await first.close();

          const second = await createPgliteEventStore({ dataDir });
          try {
            const [recorded] = await second.readStream(stream);
            expect(recorded?.eventId).toBe(event.eventId);
            expect((await second.checkpoints.load('relay'))?.position).toBe(
              appended.lastGlobalPosition,
            );
            await expect(
              second.append(stream, [anEvent()], { expectedRevision: 'no_stream' }),
            ).rejects.toThrow(/expected revision no_stream/);
          } finally {
            await second.close();
          }
        } finally {
          rmSync(dataDir, { recursive: true, force: true });
        }
      },
      BOOT_TIMEOUT_MS * 2,
    );

    it(
      'refuses a data directory another live process holds, and takes over a dead one’s lock',
      async () => {
        const root = mkdtempSync(join(tmpdir(), 'tandem-pglite-lock-'));
        try {
          const dataDir = join(root, 'pglite');
          const lockFile = `${dataDir}.lock`;
          // Another process on these files (the API while `tandem import` opens them): jest's
          // parent process is alive and is not this one.
          writeFileSync(lockFile, `${process.ppid}\n`);
          const refused = createPgliteEventStore({ dataDir });
          await expect(refused).rejects.toThrow(PgliteDataDirInUseError);
          await expect(refused).rejects.toThrow(`in use by process ${process.ppid}`);
          expect(readFileSync(lockFile, 'utf8')).toBe(`${process.ppid}\n`); // not ours to delete

          // A process killed while it held the directory: its lock names a pid that is gone.
          const gone = spawnSync(process.execPath, ['-e', '']).pid;
          writeFileSync(lockFile, `${gone}\n`);
          const store = await createPgliteEventStore({ dataDir });
          const mine = readFileSync(lockFile, 'utf8');
          expect(mine.split('\n')[0]).toBe(`${process.pid}`);
          await store.close();
          expect(existsSync(lockFile)).toBe(false);
          expect(existsSync(lockFile)).toBe(false);
        } finally {
          rmSync(root, { recursive: true, force: true });
        }
      },
      BOOT_TIMEOUT_MS * 2,
    );

    // Linux tells a process's start time (/proc): elsewhere the lock holds the pid alone.
    (existsSync('/proc/self/stat') ? it : it.skip)(
      'tells a live owner from a dead one whose pid another process now has, or not yet reaped',
      async () => {
        const root = mkdtempSync(join(tmpdir(), 'tandem-pglite-lock-pid-'));
        try {
          const dataDir = join(root, 'pglite');
          const lockFile = `${dataDir}.lock`;
          const boot = readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim();
          const start = (pid: number): string => {
            const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
            return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19]!;
          };
          const first = await createPgliteEventStore({ dataDir });
          const written = readFileSync(lockFile, 'utf8');
          await first.close();
          expect(written).toBe(`${process.pid}\nboot=${boot} start=${start(process.pid)}\n`);

          // jest's parent, alive, named with its own start time: refused, its lock left alone.
          const live = `${process.ppid}\nboot=${boot} start=${start(process.ppid)}\n`;
          writeFileSync(lockFile, live);
          await expect(createPgliteEventStore({ dataDir })).rejects.toThrow(
            `in use by process ${process.ppid}`,
          );
          expect(readFileSync(lockFile, 'utf8')).toBe(live);

          // The same live pid, but a lock written by a process that started at another time
          // (the dead owner's pid reused), or before a reboot: taken over.
          for (const stale of [
            `${process.ppid}\nboot=${boot} start=1\n`,
            `${process.ppid}\nboot=another-boot start=${start(process.ppid)}\n`,
          ]) {
            writeFileSync(lockFile, stale);
            const store = await createPgliteEventStore({ dataDir });
            expect(readFileSync(lockFile, 'utf8')).toBe(written);
            await store.close();
            expect(existsSync(lockFile)).toBe(false);
          }
          expect(readdirSync(root).filter((name) => name.includes('stale'))).toEqual([]);

          // An owner SIGKILLed and not yet reaped (a zombie: its parent never waits for it, as a
          // slow init leaves one for seconds) holds nothing: taken over, so a restart right
          // after the kill opens the store.
          const parent = spawn('sh', ['-c', 'sleep 0 & echo $!; exec sleep 60'], {
            stdio: ['ignore', 'pipe', 'ignore'],
          });
          try {
            const zombie = Number(
              await new Promise<string>((resolve) => parent.stdout.once('data', resolve)),
            );
            await eventually(() => {
              const stat = readFileSync(`/proc/${zombie}/stat`, 'utf8');
              return Promise.resolve(
                stat.slice(stat.lastIndexOf(')') + 2).startsWith('Z ') || undefined,
              );
            }, `process ${zombie} to exit unreaped`);
            writeFileSync(lockFile, `${zombie}\nboot=${boot} start=${start(zombie)}\n`);
            const store = await createPgliteEventStore({ dataDir });
            expect(readFileSync(lockFile, 'utf8')).toBe(written);
            await store.close();
          } finally {
            parent.kill('SIGKILL');
          }
        } finally {
          rmSync(root, { recursive: true, force: true });
        }
      },
      BOOT_TIMEOUT_MS * 4,
    );

    it(
      'opens a data directory reached through a symbolic link (a mounted volume, a bench run)',
      async () => {
        const root = mkdtempSync(join(tmpdir(), 'tandem-pglite-link-'));
        try {
          const realDir = join(root, 'volume', 'pglite');
          const stream = `linked-${uuidv7()}`;
          const event = anEvent();
          const first = await createPgliteEventStore({ dataDir: realDir });
          await first.append(stream, [event], { expectedRevision: 'no_stream' });
          await first.close();
          mkdirSync(join(root, 'run'));
          symlinkSync(realDir, join(root, 'run', 'pglite'));

          const linked = await createPgliteEventStore({ dataDir: join(root, 'run', 'pglite') });
          try {
            const [recorded] = await linked.readStream(stream);
            expect(recorded?.eventId).toBe(event.eventId);
          } finally {
            await linked.close();
          }
        } finally {
          rmSync(root, { recursive: true, force: true });
        }
      },
      BOOT_TIMEOUT_MS * 2,
    );

    it('keeps stores of different schemas in one database apart', async () => {
      const left = await createPgliteEventStore({ db: db(), schema: 'left_store' });
      const right = await createPgliteEventStore({ db: db(), schema: 'right_store' });
      try {
        const stream = `apart-${uuidv7()}`;
        await left.append(stream, [anEvent()], { expectedRevision: 'no_stream' });
        expect(await right.readStream(stream)).toEqual([]);
        await expect(
          right.append(stream, [anEvent()], { expectedRevision: 'no_stream' }),
        ).resolves.toMatchObject({ nextExpectedRevision: 0n });
      } finally {
        await left.close();
        await right.close();
      }
    });
  });
});

function anEvent(): EventToAppend {
  return { eventId: uuidv7(), type: 'EmbeddedChecked', schemaVersion: 1, data: {}, metadata: {} };
}
