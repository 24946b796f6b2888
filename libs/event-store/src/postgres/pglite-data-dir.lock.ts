/**
 * One process at a time on a PGlite data directory. PGlite is an engine inside the process
 * that opens it, with no server to arbitrate: a second process on the same files (`tandem
 * import` while the embedded API runs) works on its own copy of the pages, and whichever
 * closes last writes its state over the other's. Measured before this lock: an import of 32
 * events beside a running API reported success, and after the API restarted they were gone.
 *
 * The lock is a file beside the directory (`<dataDir>.lock`, never inside: the engine owns
 * that) holding the owner's pid, created exclusively. A lock whose process is gone (SIGKILL,
 * a crash) is taken over; one held by a live process refuses the open, naming it. The same
 * process may open the directory again (its stores share the engine's thread and files in
 * turn, as the specs' reopen does): only other processes are kept out. It must never delete
 * a lock it does not own.
 */
import { open, readFile, rm } from 'node:fs/promises';

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

const holders = new Map<string, number>();

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it exists, under another user.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
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
  for (let attempt = 0; ; attempt++) {
    try {
      const handle = await open(lockFile, 'wx', 0o600);
      try {
        await handle.writeFile(`${process.pid}\n`);
      } finally {
        await handle.close();
      }
      holders.set(lockFile, 1);
      return release;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST' || attempt > 0) throw error;
    }
    const pid = Number.parseInt(await readFile(lockFile, 'utf8').catch(() => ''), 10);
    if (Number.isInteger(pid) && pid > 0 && pid !== process.pid && alive(pid)) {
      throw new PgliteDataDirInUseError(dataDir, pid, lockFile);
    }
    // Its owner is gone (or it is this process's, left by a run that never closed): take it.
    await rm(lockFile, { force: true });
  }
}
