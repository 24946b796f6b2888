/**
 * One process at a time on a PGlite data directory. PGlite is an engine inside the process
 * that opens it, with no server to arbitrate: a second process on the same files (`tandem
 * import` while the embedded API runs) works on its own copy of the pages, and whichever
 * closes last writes its state over the other's. Measured before this lock: an import of 32
 * events beside a running API reported success, and after the API restarted they were gone.
 *
 * The lock is a file beside the directory (`<dataDir>.lock`, never inside: the engine owns
 * that), created exclusively, naming its owner: the pid, and where the system tells them
 * (Linux's /proc) the boot and the process's start time. A lock whose owner is gone (SIGKILL,
 * a crash, a reboot) is taken over, also when another process now has the owner's pid (a
 * restarted container's pids repeat) or the owner is a zombie its parent has not reaped yet;
 * one held by a live owner refuses the open, naming it.
 * The same process may open the directory again (its stores share the engine's thread and
 * files in turn, as the specs' reopen does): only other processes are kept out.
 *
 * It must never delete a lock it does not own. Taking over a dead owner's lock is a rename
 * to a name of this process's own (atomic: of two processes taking over at once, one wins),
 * and the moved file is read again: were it no longer the dead owner's (a third process
 * took it over in between), it is put back and the open is refused.
 */
import { link, open, readFile, rename, rm } from 'node:fs/promises';

/** Another live process holds the data directory: nothing was opened. */
export class PgliteDataDirInUseError extends Error {
  constructor(
    readonly dataDir: string,
    readonly pid: number,
    readonly lockFile: string,
  ) {
    super(
      `PGlite data directory ${dataDir} is in use by process ${pid} (a running Tandem API, ` +
        `demo or import): PGlite is one process's database, and a second one would overwrite ` +
        `its writes. Stop that process first (if no such process exists, delete ${lockFile})`,
    );
    this.name = 'PgliteDataDirInUseError';
  }
}

/** Who holds a lock: a pid, and where known the boot and that process's start time. */
interface LockOwner {
  readonly pid: number;
  readonly boot?: string;
  readonly start?: string;
}

const holders = new Map<string, number>();

async function procText(path: string): Promise<string | undefined> {
  return readFile(path, 'utf8').then(
    (text) => text.trim(),
    () => undefined,
  );
}

/**
 * Fields 3 (the state: R, S, Z, ...) and 22 (the start, clock ticks since boot) of
 * /proc/<pid>/stat; the name before them may hold spaces.
 */
async function statOf(pid: number): Promise<{ state?: string; start?: string } | undefined> {
  const stat = await procText(`/proc/${pid}/stat`);
  const fields = stat?.slice(stat.lastIndexOf(')') + 2).split(' ');
  return fields === undefined ? undefined : { state: fields[0], start: fields[19] };
}

async function thisProcess(): Promise<LockOwner> {
  const [boot, start] = await Promise.all([
    procText('/proc/sys/kernel/random/boot_id'),
    statOf(process.pid),
  ]);
  return { pid: process.pid, boot, start: start?.start };
}

function render(owner: LockOwner): string {
  const identity = owner.boot && owner.start ? `boot=${owner.boot} start=${owner.start}\n` : '';
  return `${owner.pid}\n${identity}`;
}

/** A lock file's owner; a lock of an earlier release holds only the pid. */
function parse(text: string): LockOwner | undefined {
  const [first = '', second = ''] = text.split('\n');
  const pid = Number(first);
  if (!/^[1-9][0-9]*$/.test(first) || !Number.isSafeInteger(pid)) return undefined;
  const boot = /(?:^| )boot=(\S+)/.exec(second)?.[1];
  const start = /(?:^| )start=(\S+)/.exec(second)?.[1];
  return { pid, boot, start };
}

function signalable(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it exists, under another user.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Whether the lock's owner still runs: its pid lives and, where the lock says, is the same process. */
async function alive(owner: LockOwner, self: LockOwner): Promise<boolean> {
  if (owner.pid === process.pid) return false; // this process's own, left by a run that never closed
  if (owner.boot && self.boot && owner.boot !== self.boot) return false; // before a reboot
  if (!signalable(owner.pid)) return false;
  const stat = await statOf(owner.pid);
  // Killed, not yet reaped by its parent (seconds, under a slow init): it holds nothing now,
  // and a supervisor restarting the API at once must not be refused for it.
  if (stat?.state === 'Z' || stat?.state === 'X') return false;
  if (owner.start === undefined) return true;
  return stat?.start === undefined || stat.start === owner.start; // no /proc entry: trust the pid
}

/** Takes the directory for this process; resolves to its release (call it once, on close). */
export async function lockPgliteDataDir(dataDir: string): Promise<() => Promise<void>> {
  const lockFile = `${dataDir}.lock`;
  let released = false;
  const release = async (): Promise<void> => {
    if (released) return; // once per acquisition, however many paths close it
    released = true;
    const count = (holders.get(lockFile) ?? 1) - 1;
    if (count > 0) {
      holders.set(lockFile, count);
      return;
    }
    holders.delete(lockFile);
    await rm(lockFile, { force: true });
  };
  const held = holders.get(lockFile);
  if (held !== undefined) {
    holders.set(lockFile, held + 1);
    return release;
  }
  const self = await thisProcess();
  for (let attempt = 0; ; attempt++) {
    try {
      const handle = await open(lockFile, 'wx', 0o600);
      try {
        await handle.writeFile(render(self));
      } finally {
        await handle.close();
      }
      holders.set(lockFile, 1);
      return release;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST' || attempt > 2) throw error;
    }
    const text = await readFile(lockFile, 'utf8').catch(() => undefined);
    if (text === undefined) continue; // released meanwhile: try again
    const owner = parse(text);
    if (owner !== undefined && (await alive(owner, self))) {
      throw new PgliteDataDirInUseError(dataDir, owner.pid, lockFile);
    }
    // Its owner is gone: move its lock aside under a name of this process's own.
    const aside = `${lockFile}.stale-${process.pid}`;
    try {
      await rename(lockFile, aside);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') continue; // another took it over
      throw error;
    }
    const moved = await readFile(aside, 'utf8').catch(() => undefined);
    if (moved !== undefined && moved !== text) {
      // Another process took the dead owner's lock over between the read and the move: give
      // it back (unless a third has one now) and leave the directory to it.
      await link(aside, lockFile).catch(() => undefined);
      await rm(aside, { force: true });
      throw new PgliteDataDirInUseError(dataDir, parse(moved)?.pid ?? 0, lockFile);
    }
    await rm(aside, { force: true });
  }
}
